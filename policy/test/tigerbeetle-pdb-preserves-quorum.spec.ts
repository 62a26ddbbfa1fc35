import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, pdb, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-pdb-preserves-quorum");
const tbPdb = named(T.pdb, "tigerbeetle");
const budget = (b: Record<string, unknown>) =>
    mutate(compliantStack(), tbPdb, (p) => {
        delete p.spec.minAvailable;
        Object.assign(p.spec, b);
    });

describe("tigerbeetle-pdb-preserves-quorum", () => {
    it("passes minAvailable 2 of 3, maxUnavailable 1 and 67%", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, budget({ maxUnavailable: 1 })), []);
        expectViolations(await runPolicy(policy, budget({ minAvailable: "67%" })), []);
    });

    it("is not applicable to a single dev replica", async () => {
        const r = mutate(compliantStack().filter((x) => !tbPdb(x)), named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 1));
        expectViolations(await runPolicy(policy, r), []);
    });

    it("reports a multi-replica cluster without a PDB", async () => {
        const v = await runPolicy(policy, compliantStack().filter((r) => !tbPdb(r)));
        expectViolations(v, [["StatefulSet tigerbeetle/tigerbeetle: runs 3 replicas but no PodDisruptionBudget protects its quorum of 2", "[checklist item 10:", "minAvailable: 2"]]);
    });

    it("reports a minAvailable below quorum", async () => {
        expectViolations(await runPolicy(policy, budget({ minAvailable: 1 })), [["PodDisruptionBudget tigerbeetle (minAvailable 1) lets evictions leave 1 of 3 replicas, below the quorum of 2"]]);
    });

    it("reports a maxUnavailable that loses quorum, in numbers and percent", async () => {
        expectViolations(await runPolicy(policy, budget({ maxUnavailable: 2 })), [["(maxUnavailable 2) lets evictions leave 1 of 3 replicas"]]);
        expectViolations(await runPolicy(policy, budget({ maxUnavailable: "33%" })), []);
        // The disruption controller rounds percentages up: 50% of 3 is 2 pods.
        expectViolations(await runPolicy(policy, budget({ maxUnavailable: "50%" })), [["(maxUnavailable 50%) lets evictions leave 1 of 3"]]);
    });

    it("reports five replicas with the three-replica budget", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 5));
        expectViolations(await runPolicy(policy, r), [["lets evictions leave 2 of 5 replicas, below the quorum of 3"]]);
    });

    it("lets a stricter second PDB satisfy quorum", async () => {
        const r = [...budget({ minAvailable: 1 }), pdb("tigerbeetle-quorum", "tigerbeetle", "tigerbeetle", { minAvailable: 2 })];
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports a budget below quorum with the values a preview leaves unknown elsewhere", async () => {
        expectViolations(await runPolicy(policy, withPreviewUnknowns(budget({ minAvailable: 1 }))), [["PodDisruptionBudget tigerbeetle (minAvailable 1) lets evictions leave 1 of 3 replicas, below the quorum of 2"]]);
    });

    it("never passes an unknown replica count or budget: the quorum is then not known to be kept", async () => {
        const replicas = unknownAt(compliantStack(), named(T.statefulSet, "tigerbeetle"), "spec", "replicas");
        expectViolations(await runPolicy(policy, replicas), [["StatefulSet tigerbeetle/tigerbeetle: spec.replicas is unknown during preview, so the quorum its PodDisruptionBudget must keep available is not known"]]);
        expectViolations(await runPolicy(policy, budget({ minAvailable: UNKNOWN })), [["PodDisruptionBudget tigerbeetle (minAvailable <unknown>) is unknown during preview, so it is not known to keep the quorum of 2 of 3 replicas"]]);
        const selector = unknownAt(compliantStack(), tbPdb, "spec", "selector", "matchLabels");
        expectViolations(await runPolicy(policy, selector), [["runs 3 replicas but no PodDisruptionBudget protects its quorum of 2 (whether tigerbeetle selects them is unknown during preview)"]]);
    });

    it("lets a known stricter PDB keep quorum next to an unknown one", async () => {
        const r = [...budget({ minAvailable: UNKNOWN }), pdb("tigerbeetle-quorum", "tigerbeetle", "tigerbeetle", { minAvailable: 2 })];
        expectViolations(await runPolicy(policy, r), []);
    });
});
