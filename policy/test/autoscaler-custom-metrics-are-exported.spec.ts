import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("autoscaler-custom-metrics-are-exported");
const agentHpa = named(T.hpa, "agent-hpa");
const agent = named(T.statefulSet, "agent");

describe("autoscaler-custom-metrics-are-exported", () => {
    it("passes the agency HPA on queue_length whose pods declare a metrics port", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(compliantStack())), []);
    });

    it("reports an HPA on queue_length whose pods export no metrics", async () => {
        const bare = mutate(compliantStack(), agent, (p) => {
            for (const c of p.spec.template.spec.containers) {
                c.ports = c.ports.map((port: any) => ({ ...port, name: port.name === "metrics" ? "elastic-swarm" : port.name }));
            }
        });
        expectViolations(await runPolicy(policy, bare), [["HorizontalPodAutoscaler client-a/agent-hpa: scales on queue_length but the pods of StatefulSet client-a/agent declare no metrics port", "[checklist item 7:", "Fix: name the container port"]]);
    });

    it("is not applicable to HPAs on CPU and memory alone", async () => {
        const cpuOnly = mutate(compliantStack(), agentHpa, (p) => (p.spec.metrics = p.spec.metrics.filter((m: any) => m.type === "Resource")));
        const bare = mutate(cpuOnly, agent, (p) => p.spec.template.spec.containers.forEach((c: any) => (c.ports = [])));
        expectViolations(await runPolicy(policy, bare), []);
    });

    it("reports an HPA whose target is not in the stack, and one whose metrics are unknown during preview", async () => {
        const elsewhere = mutate(compliantStack(), agentHpa, (p) => (p.spec.scaleTargetRef.name = "gone"));
        expectViolations(await runPolicy(policy, elsewhere), [["agent-hpa: scales on queue_length but its scaleTargetRef names no workload of the stack"]]);
        const unknown = mutate(compliantStack(), agentHpa, (p) => (p.spec.metrics = UNKNOWN));
        expectViolations(await runPolicy(policy, unknown), [["agent-hpa: spec.metrics is unknown during preview"]]);
        const unknownTarget = mutate(compliantStack(), agentHpa, (p) => (p.spec.scaleTargetRef.name = UNKNOWN));
        expectViolations(await runPolicy(policy, unknownTarget), [["agent-hpa: scales on queue_length but its target is unknown during preview"]]);
    });

    it("takes the metrics port names from config", async () => {
        const v = await runPolicy(policy, compliantStack(), { "autoscaler-custom-metrics-are-exported": { metricsPortPatterns: ["^prom$"] } });
        expectViolations(v, [["declare no metrics port (^prom$)"]]);
    });
});
