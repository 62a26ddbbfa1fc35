import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("agentstate-dev-mode-disabled");

describe("agentstate-dev-mode-disabled", () => {
    it("passes DEV_MODE=false", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports DEV_MODE=true in the ConfigMap", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.DEV_MODE = "true"));
        expectViolations(await runPolicy(policy, r), [['ConfigMap agentstate/agentstate-config: sets DEV_MODE to "true"', "[security item S12:"]]);
    });

    it("reports DEV_MODE=true as a container env literal", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => firstContainer(p).env.push({ name: "DEV_MODE", value: "TRUE" }));
        expectViolations(await runPolicy(policy, r), [['StatefulSet agentstate/agentstate: container agentstate sets DEV_MODE to "TRUE"']]);
    });

    it("allows dev mode under the dev config", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.DEV_MODE = "true"));
        expectViolations(await runPolicy(policy, r, loadConfig("dev")), []);
    });

    it("still reports DEV_MODE=true with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.DEV_MODE = "true"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [['ConfigMap agentstate/agentstate-config: sets DEV_MODE to "true"']]);
    });

    it("reports DEV_MODE unknown during preview: not known to be off", async () => {
        const r = unknownAt(compliantStack(), named(T.configMap, "agentstate-config"), "data", "DEV_MODE");
        expectViolations(await runPolicy(policy, r), [["ConfigMap agentstate/agentstate-config: DEV_MODE is unknown during preview, so dev mode is not known to be off"]]);
        const env = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => firstContainer(p).env.push({ name: "DEV_MODE", value: UNKNOWN }));
        expectViolations(await runPolicy(policy, env), [["container agentstate DEV_MODE is unknown during preview"]]);
    });
});
