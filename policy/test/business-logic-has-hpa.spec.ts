import { T, UNKNOWN, compliantStack, expectViolations, hpa, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("business-logic-has-hpa");
const blHpa = named(T.hpa, "business-logic-hpa");

describe("business-logic-has-hpa", () => {
    it("passes an HPA on the business-logic Deployment with 2-20 replicas", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a business logic no HPA targets", async () => {
        const v = await runPolicy(policy, compliantStack().filter((r) => !blHpa(r)));
        expectViolations(v, [["Deployment my-agent/business-logic: no HorizontalPodAutoscaler targets it", "[checklist item 7:", "businessLogic.hpa"]]);
    });

    it("does not count an HPA in another namespace or on another kind", async () => {
        const elsewhere = mutate(compliantStack(), blHpa, (p) => (p.metadata.namespace = "m2m-agent-runtime"));
        expectViolations(await runPolicy(policy, elsewhere), [["no HorizontalPodAutoscaler targets it"]]);
        const wrongKind = mutate(compliantStack(), blHpa, (p) => (p.spec.scaleTargetRef.kind = "StatefulSet"));
        expectViolations(await runPolicy(policy, wrongKind), [["no HorizontalPodAutoscaler targets it"]]);
    });

    it("reports minReplicas below 2, and maxReplicas below minReplicas", async () => {
        const low = mutate(compliantStack(), blHpa, (p) => (p.spec.minReplicas = 1));
        expectViolations(await runPolicy(policy, low), [["HorizontalPodAutoscaler my-agent/business-logic-hpa: minReplicas is 1; the business logic needs at least 2"]]);
        const inverted = mutate(compliantStack(), blHpa, (p) => (p.spec.maxReplicas = 1));
        expectViolations(await runPolicy(policy, inverted), [["maxReplicas (1) is below minReplicas (2)"]]);
    });

    it("reports an HPA without metrics", async () => {
        const r = mutate(compliantStack(), blHpa, (p) => (p.spec.metrics = []));
        expectViolations(await runPolicy(policy, r), [["scales Deployment my-agent/business-logic on no metric"]]);
    });

    it("takes the minimum from config", async () => {
        const r = [...compliantStack().filter((x) => !blHpa(x)), hpa("bl", "my-agent", { kind: "Deployment", name: "business-logic" }, 3, 20)];
        expectViolations(await runPolicy(policy, r, { "business-logic-has-hpa": { minReplicas: 4 } }), [["minReplicas is 3; the business logic needs at least 4"]]);
    });

    it("still reports minReplicas below 2 with the values a preview leaves unknown elsewhere", async () => {
        const low = mutate(compliantStack(), blHpa, (p) => (p.spec.minReplicas = 1));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(low)), [["minReplicas is 1; the business logic needs at least 2"]]);
    });

    it("reports bounds, metrics or a target unknown during preview as not known to be sane", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), blHpa, "spec", "minReplicas")), [["HorizontalPodAutoscaler my-agent/business-logic-hpa: minReplicas is unknown during preview, so it is not known to be at least 2"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), blHpa, "spec", "maxReplicas")), [["maxReplicas is unknown during preview, so it is not known to be at least minReplicas"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), blHpa, "spec", "metrics")), [["scales Deployment my-agent/business-logic on metrics unknown during preview"]]);
        const target = mutate(compliantStack(), blHpa, (p) => (p.spec.scaleTargetRef.name = UNKNOWN));
        expectViolations(await runPolicy(policy, target), [["Deployment my-agent/business-logic: no HorizontalPodAutoscaler is known to target it (the target of HorizontalPodAutoscaler my-agent/business-logic-hpa is unknown during preview)"]]);
    });
});
