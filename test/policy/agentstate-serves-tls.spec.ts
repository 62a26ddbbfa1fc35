import { T, compliantStack, expectViolations, firstContainer, mutate, named } from "./fixtures";
import { loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("agentstate-serves-tls");

describe("agentstate-serves-tls", () => {
    it("passes TLS files in the config and the TLS Secret mounted", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports missing TLS_CERT_FILE and TLS_KEY_FILE", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => {
            delete p.data.TLS_CERT_FILE;
            delete p.data.TLS_KEY_FILE;
        });
        expectViolations(await runPolicy(policy, r), [
            ["ConfigMap agentstate/agentstate-config: sets no TLS_CERT_FILE, so AgentState serves plain HTTP", "[security item S11:"],
            ["sets no TLS_KEY_FILE"],
        ]);
    });

    it("reports a StatefulSet without the TLS Secret mounted", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => (firstContainer(p).volumeMounts = firstContainer(p).volumeMounts.filter((m: any) => m.name !== "tls")));
        expectViolations(await runPolicy(policy, r), [["StatefulSet agentstate/agentstate: mounts no Secret volume with the TLS certificate and key"]]);
    });

    it("does not require TLS under the dev config", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => delete p.data.TLS_CERT_FILE);
        expectViolations(await runPolicy(policy, r, loadConfig("dev")), []);
    });
});
