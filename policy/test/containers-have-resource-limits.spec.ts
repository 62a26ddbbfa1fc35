import { FIRST_CONTAINER, T, compliantStack, deployment, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-have-resource-limits");
const agentRuntime = named(T.deployment, "agent-runtime");

describe("containers-have-resource-limits", () => {
    it("passes containers with cpu and memory requests and limits", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports the agent runtime without resources, by name", async () => {
        const r = mutate(compliantStack(), agentRuntime, (p) => delete firstContainer(p).resources);
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-agent-runtime/agent-runtime: container agent-runtime has no cpu request, memory request, cpu limit, memory limit", "[checklist item 3:"]]);
    });

    it("reports each missing figure: limits only, a memory request only", async () => {
        const noLimits = mutate(compliantStack(), agentRuntime, (p) => delete firstContainer(p).resources.limits);
        expectViolations(await runPolicy(policy, noLimits), [["container agent-runtime has no cpu limit, memory limit"]]);
        const noMemRequest = mutate(compliantStack(), agentRuntime, (p) => delete firstContainer(p).resources.requests.memory);
        expectViolations(await runPolicy(policy, noMemRequest), [["container agent-runtime has no memory request"]]);
    });

    it("checks init containers and every workload kind", async () => {
        const init = mutate(compliantStack(), named(T.statefulSet, "brain"), (p) => (p.spec.template.spec.initContainers = [{ name: "migrate", image: "x:1" }]));
        expectViolations(await runPolicy(policy, init), [["StatefulSet client-a/brain: init container migrate has no cpu request"]]);
        const job = { type: T.cronJob, name: "backup", props: { metadata: { name: "backup", namespace: "tigerbeetle" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "backup", image: "x:1" }] } } } } } } };
        expectViolations(await runPolicy(policy, [job]), [["CronJob tigerbeetle/backup: container backup has no"]]);
    });

    it("skips containers exempted in config", async () => {
        const r = mutate([deployment("agent-runtime", "m2m-agent-runtime")], () => true, (p) => delete firstContainer(p).resources);
        expectViolations(await runPolicy(policy, r, { "containers-have-resource-limits": { exemptContainers: ["agent-runtime"] } }), []);
    });

    it("still reports a missing limit with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), agentRuntime, (p) => delete firstContainer(p).resources.limits);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container agent-runtime has no cpu limit, memory limit"]]);
    });

    it("counts a quantity unknown during preview as set, and reports a resources block that is unknown as a whole", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), agentRuntime, ...FIRST_CONTAINER, "resources", "limits", "memory")), []);
        const whole = unknownAt(compliantStack(), agentRuntime, ...FIRST_CONTAINER, "resources");
        expectViolations(await runPolicy(policy, whole), [["container agent-runtime resources are unknown during preview, so its requests and limits are not known to be set"]]);
    });
});
