import { T, compliantStack, expectViolations, mutate, named, pdb } from "./fixtures";
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
});
