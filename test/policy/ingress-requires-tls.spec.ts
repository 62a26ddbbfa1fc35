import { T, compliantStack, expectViolations, ingress, mutate, named } from "./fixtures";
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
});
