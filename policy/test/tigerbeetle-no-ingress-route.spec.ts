import { T, UNKNOWN, compliantStack, expectViolations, ingress, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-no-ingress-route");

describe("tigerbeetle-no-ingress-route", () => {
    it("passes when no Ingress reaches TigerBeetle", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports an Ingress rule routing to the TigerBeetle client Service", async () => {
        const r = [...compliantStack(), ingress("ledger", "tigerbeetle", [{ host: "ledger.example.com", service: "tigerbeetle", port: 3000 }])];
        expectViolations(await runPolicy(policy, r), [["Ingress tigerbeetle/ledger: rule ledger.example.com/ routes to Service tigerbeetle/tigerbeetle, which serves TigerBeetle", "[checklist item 1:"]]);
    });

    it("reports a default backend on the headless Service", async () => {
        const r = [
            ...compliantStack(),
            mutate([ingress("ledger", "tigerbeetle", [])], () => true, (p) => (p.spec.defaultBackend = { service: { name: "tigerbeetle-headless", port: { number: 3000 } } }))[0],
        ];
        expectViolations(await runPolicy(policy, r), [["defaultBackend routes to Service tigerbeetle/tigerbeetle-headless"]]);
    });

    it("does not confuse a same-named Service in another namespace", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.rules[0].http.paths[0].backend.service.name = "tigerbeetle"));
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports a route to TigerBeetle with the values a preview leaves unknown elsewhere", async () => {
        const r = withPreviewUnknowns([...compliantStack(), ingress("ledger", "tigerbeetle", [{ host: "ledger.example.com", service: "tigerbeetle", port: 3000 }])]);
        expectViolations(await runPolicy(policy, r), [["Ingress tigerbeetle/ledger: rule ledger.example.com/ routes to Service tigerbeetle/tigerbeetle, which serves TigerBeetle"]]);
    });

    it("reports a backend unknown during preview only where a Service in the Ingress's namespace serves TigerBeetle", async () => {
        const ledger = mutate([ingress("ledger", "tigerbeetle", [{ host: "ledger.example.com", service: "x", port: 3000 }])], () => true, (p) => (p.spec.rules[0].http.paths[0].backend.service.name = UNKNOWN));
        expectViolations(await runPolicy(policy, [...compliantStack(), ...ledger]), [["Ingress tigerbeetle/ledger: rule ledger.example.com/ routes to a Service whose name is unknown during preview, and Service tigerbeetle/", "serves TigerBeetle"]]);
        const elsewhere = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.rules[0].http.paths[0].backend.service.name = UNKNOWN));
        expectViolations(await runPolicy(policy, elsewhere), []);
    });
});
