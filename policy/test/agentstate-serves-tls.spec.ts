import { FIRST_CONTAINER, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
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

    it("still reports a missing TLS file with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => delete p.data.TLS_KEY_FILE);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["ConfigMap agentstate/agentstate-config: sets no TLS_KEY_FILE"]]);
    });

    it("counts a TLS path or secretName unknown during preview as set, and reports volume mounts that are unknown", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), named(T.configMap, "agentstate-config"), "data", "TLS_CERT_FILE")), []);
        const secretName = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => (p.spec.template.spec.volumes[0].secret.secretName = UNKNOWN));
        expectViolations(await runPolicy(policy, secretName), []);
        const mounts = unknownAt(compliantStack(), named(T.statefulSet, "agentstate"), ...FIRST_CONTAINER, "volumeMounts");
        expectViolations(await runPolicy(policy, mounts), [["StatefulSet agentstate/agentstate: its volumes or volume mounts are unknown during preview, so the TLS Secret mount is not known"]]);
    });
});
