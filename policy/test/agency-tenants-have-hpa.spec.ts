import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, statefulSet, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("agency-tenants-have-hpa");
const agentHpa = named(T.hpa, "agent-hpa");

describe("agency-tenants-have-hpa", () => {
    it("passes a tenant whose agent StatefulSet has an HPA", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a tenant without the HPA", async () => {
        const v = await runPolicy(policy, compliantStack().filter((r) => !agentHpa(r)));
        expectViolations(v, [["StatefulSet client-a/agent: tenant namespace client-a has no HorizontalPodAutoscaler for it", "[checklist item 7:"]]);
    });

    it("reports every tenant that lacks one", async () => {
        const second = statefulSet("agent", "client-b", { app: "agency-agent" });
        expectViolations(await runPolicy(policy, [...compliantStack(), second]), [["StatefulSet client-b/agent: tenant namespace client-b has no HorizontalPodAutoscaler"]]);
    });

    it("reports maxReplicas below minReplicas, and minReplicas below the configured floor", async () => {
        const inverted = mutate(compliantStack(), agentHpa, (p) => {
            p.spec.minReplicas = 3;
            p.spec.maxReplicas = 2;
        });
        expectViolations(await runPolicy(policy, inverted), [["HorizontalPodAutoscaler client-a/agent-hpa: maxReplicas (2) is below minReplicas (3)"]]);
        expectViolations(await runPolicy(policy, compliantStack(), { "agency-tenants-have-hpa": { minReplicas: 2 } }), [["minReplicas is 1, below 2"]]);
    });

    it("still reports a tenant without the HPA with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(compliantStack().filter((r) => !agentHpa(r))));
        expectViolations(v, [["StatefulSet client-a/agent: tenant namespace client-a has no HorizontalPodAutoscaler for it"]]);
    });

    it("reports an HPA whose maxReplicas or target is unknown during preview", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), agentHpa, "spec", "maxReplicas")), [["HorizontalPodAutoscaler client-a/agent-hpa: maxReplicas is unknown during preview"]]);
        const target = mutate(compliantStack(), agentHpa, (p) => (p.spec.scaleTargetRef.kind = UNKNOWN));
        expectViolations(await runPolicy(policy, target), [["tenant namespace client-a has no HorizontalPodAutoscaler known to target it (the target of HorizontalPodAutoscaler client-a/agent-hpa is unknown during preview)"]]);
    });
});
