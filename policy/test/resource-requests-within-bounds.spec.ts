import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("resource-requests-within-bounds");
const setResources = (resources: any) => mutate(compliantStack(), named(T.deployment, "agent-runtime"), (p) => (firstContainer(p).resources = resources));

describe("resource-requests-within-bounds", () => {
    it("passes the seeds' figures", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a limit below its request", async () => {
        const v = await runPolicy(policy, setResources({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } }));
        expectViolations(v, [["Deployment m2m-agent-runtime/agent-runtime: container agent-runtime cpu limit 500m is below its request 1", "[checklist item 9:"]]);
    });

    it("reports a limit/request ratio above the cap, per resource", async () => {
        const v = await runPolicy(policy, setResources({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } }));
        expectViolations(v, [["cpu limit 1 is 10.0x its request 100m, above the 5x cap"], ["memory limit 1Gi is 8.0x its request 128Mi, above the 4x cap"]]);
    });

    it("reports requests below the floor and limits above the ceiling", async () => {
        const v = await runPolicy(policy, setResources({ requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "16", memory: "32Gi" } }));
        expectViolations(v, [
            ["cpu request 5m is below the floor 10m"],
            ["memory request 16Mi is below the floor 32Mi"],
            ["cpu limit 16 is above the ceiling 8"],
            ["memory limit 32Gi is above the ceiling 16Gi"],
            ["cpu limit 16 is 3200.0x its request 5m"],
            ["memory limit 32Gi is 2048.0x its request 16Mi"],
        ]);
    });

    it("takes its bounds from config", async () => {
        const v = await runPolicy(policy, compliantStack(), { "resource-requests-within-bounds": { maxCpuLimitRequestRatio: 2 } });
        expectViolations(v, [["connector cpu limit 2000m is 4.0x its request 500m, above the 2x cap"], ["agent-runtime cpu limit 1 is 4.0x"], ["business-logic cpu limit 1 is 4.0x"], ["container agentstate cpu limit 1 is 4.0x"], ["container agent cpu"], ["container health-monitor cpu"], ["container swarm cpu"], ["container elastic-swarm cpu"], ["container brain cpu"]]);
    });

    it("leaves missing figures to containers-have-resource-limits", async () => {
        expectViolations(await runPolicy(policy, setResources(undefined)), []);
    });

    it("still reports a limit below its request with the values a preview leaves unknown elsewhere", async () => {
        const r = setResources({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } });
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container agent-runtime cpu limit 500m is below its request 1"]]);
    });

    it("skips only the comparisons a quantity unknown during preview takes part in", async () => {
        const v = await runPolicy(policy, setResources({ requests: { cpu: UNKNOWN, memory: "128Mi" }, limits: { cpu: "16", memory: UNKNOWN } }));
        expectViolations(v, [["container agent-runtime cpu limit 16 is above the ceiling 8"]]);
        expectViolations(await runPolicy(policy, setResources(UNKNOWN)), []);
    });
});
