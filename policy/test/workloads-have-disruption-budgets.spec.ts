import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("workloads-have-disruption-budgets");

describe("workloads-have-disruption-budgets", () => {
    it("passes PDBs on every multi-replica workload and none on single-replica ones", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a multi-replica Deployment without a PDB", async () => {
        const v = await runPolicy(policy, compliantStack().filter((r) => !named(T.pdb, "agent-runtime")(r)));
        expectViolations(v, [["Deployment m2m-agent-runtime/agent-runtime: runs up to 2 replicas but no PodDisruptionBudget selects its pods", "[checklist item 10:"]]);
    });

    it("counts an HPA's maxReplicas: the single-replica agent that scales to 5 needs a PDB", async () => {
        const v = await runPolicy(policy, compliantStack().filter((r) => !named(T.pdb, "agent", "client-a")(r)));
        expectViolations(v, [["StatefulSet client-a/agent: runs up to 5 replicas but no PodDisruptionBudget"]]);
    });

    it("does not count a PDB whose selector misses the pods", async () => {
        const r = mutate(compliantStack(), named(T.pdb, "connector"), (p) => (p.spec.selector.matchLabels["app.kubernetes.io/name"] = "connector"));
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-connector/connector: runs up to 2 replicas but no PodDisruptionBudget"]]);
    });

    it("reports a PDB that blocks every eviction", async () => {
        const zero = mutate(compliantStack(), named(T.pdb, "connector"), (p) => (p.spec.maxUnavailable = 0));
        expectViolations(await runPolicy(policy, zero), [["PodDisruptionBudget m2m-connector/connector: allows no voluntary disruption of Deployment connector at 2 replicas"]]);
        const all = mutate(compliantStack(), named(T.pdb, "business-logic"), (p) => {
            delete p.spec.maxUnavailable;
            p.spec.minAvailable = "100%";
        });
        expectViolations(await runPolicy(policy, all), [["PodDisruptionBudget my-agent/business-logic: allows no voluntary disruption"]]);
    });

    it("skips exempt workloads", async () => {
        const r = compliantStack().filter((x) => !named(T.pdb, "agent-runtime")(x));
        expectViolations(await runPolicy(policy, r, { "workloads-have-disruption-budgets": { exemptWorkloads: ["m2m-agent-runtime/agent-runtime"] } }), []);
    });

    it("still reports a multi-replica Deployment without a PDB with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(compliantStack().filter((r) => !named(T.pdb, "agent-runtime")(r))));
        expectViolations(v, [["Deployment m2m-agent-runtime/agent-runtime: runs up to 2 replicas but no PodDisruptionBudget selects its pods"]]);
    });

    it("takes a replica count unknown during preview as replicated, and does not count a PDB whose selector is unknown", async () => {
        const brain = unknownAt(compliantStack(), named(T.statefulSet, "brain"), "spec", "replicas");
        expectViolations(await runPolicy(policy, brain), [["StatefulSet client-a/brain: runs a replica count unknown during preview but no PodDisruptionBudget selects its pods"]]);
        const selector = mutate(compliantStack(), named(T.pdb, "connector"), (p) => (p.spec.selector = UNKNOWN));
        expectViolations(await runPolicy(policy, selector), [["Deployment m2m-connector/connector: runs up to 2 replicas but no PodDisruptionBudget is known to select its pods (whether connector selects them is unknown during preview)"]]);
    });

    it("does not report an unknown budget as blocking drains; 0 still blocks at an unknown replica count", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), named(T.pdb, "connector"), "spec", "maxUnavailable")), []);
        const zero = mutate(unknownAt(compliantStack(), named(T.deployment, "connector"), "spec", "replicas"), named(T.pdb, "connector"), (p) => (p.spec.maxUnavailable = 0));
        expectViolations(await runPolicy(policy, zero), [["PodDisruptionBudget m2m-connector/connector: allows no voluntary disruption of Deployment connector at <unknown> replicas"]]);
    });
});
