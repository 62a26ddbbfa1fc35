import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("hpa-memory-targets-allow-scale-down");
const blHpa = named(T.hpa, "business-logic-hpa");
const bl = named(T.deployment, "business-logic");
const memoryMetric = (p: any) => p.spec.metrics.find((m: any) => m.resource?.name === "memory");

describe("hpa-memory-targets-allow-scale-down", () => {
    it("passes autoscaled pods whose memory limits equal their requests, at an 85 % target", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(compliantStack())), []);
    });

    it("reports a memory limit 4× the request: the HPA would stay at its maximum", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), bl, (p) => (firstContainer(p).resources.limits.memory = "2Gi")));
        expectViolations(v, [["Deployment my-agent/business-logic: container business-logic memory limit is 4× its request while its HPA targets 85% of requests: pods can hold up to 400%", "[checklist item 7:", "Fix: set the memory limit equal to the request"]]);
    });

    it("reports a memory target so low that normal occupancy counts as load", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), blHpa, (p) => (memoryMetric(p).resource.target.averageUtilization = 50)));
        expectViolations(v, [["HorizontalPodAutoscaler my-agent/business-logic-hpa: targets 50% memory utilization, below 70%"]]);
    });

    it("reports figures and targets unknown during preview", async () => {
        const unknownLimit = await runPolicy(policy, mutate(compliantStack(), bl, (p) => (firstContainer(p).resources.limits.memory = UNKNOWN)));
        expectViolations(unknownLimit, [["container business-logic memory request or limit is unknown during preview"]]);
        const unknownTarget = await runPolicy(policy, mutate(compliantStack(), blHpa, (p) => (memoryMetric(p).resource.target.averageUtilization = UNKNOWN)));
        expectViolations(unknownTarget, [["business-logic-hpa: its memory target is unknown during preview"]]);
    });

    it("leaves HPAs that do not scale on memory alone, and takes its bounds from config", async () => {
        const cpuOnly = mutate(compliantStack(), (r) => r.type === T.hpa, (p) => (p.spec.metrics = p.spec.metrics.filter((m: any) => m.resource?.name !== "memory")));
        expectViolations(await runPolicy(policy, mutate(cpuOnly, bl, (p) => (firstContainer(p).resources.limits.memory = "2Gi"))), []);
        const v = await runPolicy(policy, mutate(compliantStack(), bl, (p) => (firstContainer(p).resources.limits.memory = "640Mi")), { "hpa-memory-targets-allow-scale-down": { maxMemoryLimitRequestRatio: 1.5 } });
        expectViolations(v, []);
    });
});
