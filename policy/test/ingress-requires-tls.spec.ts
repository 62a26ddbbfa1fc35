import { T, UNKNOWN, compliantStack, expectViolations, ingress, mutate, named, withPreviewUnknowns } from "./fixtures";
import { loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("ingress-requires-tls");

describe("ingress-requires-tls", () => {
    it("passes Ingresses with a TLS entry per host", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports an Ingress without TLS", async () => {
        const v = await runPolicy(policy, [ingress("connector", "m2m-connector", [{ host: "btp.example.com", service: "connector", port: 4000 }], false)]);
        expectViolations(v, [["Ingress m2m-connector/connector: serves btp.example.com without TLS", "[checklist item 11:", "ingress.tls.clusterIssuer"]]);
    });

    it("reports a host the TLS entries do not cover", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.tls[0].hosts = ["btp.example.com"]));
        expectViolations(await runPolicy(policy, r), [["host explorer.example.com has no TLS entry"]]);
    });

    it("reports a TLS entry without a secretName", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "agentstate"), (p) => delete p.spec.tls[0].secretName);
        expectViolations(await runPolicy(policy, r), [["Ingress agentstate/agentstate: TLS entry for state.example.com names no secretName"]]);
    });

    it("does not require TLS under the dev config", async () => {
        const v = await runPolicy(policy, [ingress("connector", "m2m-connector", [{ host: "btp.local", service: "connector", port: 4000 }], false)], loadConfig("dev"));
        expectViolations(v, []);
    });

    it("still reports an uncovered host with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.tls[0].hosts = ["btp.example.com"]));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["host explorer.example.com has no TLS entry"]]);
    });

    it("reports TLS entries or hosts unknown during preview as not known to cover every host, and counts an unknown secretName as named", async () => {
        const tls = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.tls = UNKNOWN));
        expectViolations(await runPolicy(policy, tls), [["Ingress m2m-connector/connector: spec.tls is unknown during preview, so its hosts are not known to be served over TLS"]]);
        const tlsHost = mutate(compliantStack(), named(T.ingress, "agentstate"), (p) => (p.spec.tls[0].hosts = [UNKNOWN]));
        expectViolations(await runPolicy(policy, tlsHost), [["host state.example.com has no TLS entry (TLS or rule hosts unknown during preview)"]]);
        const secretName = mutate(compliantStack(), named(T.ingress, "agentstate"), (p) => (p.spec.tls[0].secretName = UNKNOWN));
        expectViolations(await runPolicy(policy, secretName), []);
    });
});
