import { CLUSTER_ID, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, tigerbeetle, unknownAt, withPreviewUnknowns } from "./fixtures";
import { loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-replica-quorum");
const tb = named(T.statefulSet, "tigerbeetle");

describe("tigerbeetle-replica-quorum", () => {
    it("passes 3 and 5 replicas", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, [tigerbeetle(5)]), []);
    });

    it("ignores other StatefulSets", async () => {
        const other = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => (p.spec.replicas = 2));
        expectViolations(await runPolicy(policy, other), []);
    });

    it("reports an even replica count", async () => {
        expectViolations(await runPolicy(policy, [tigerbeetle(4, CLUSTER_ID)]), [["StatefulSet tigerbeetle/tigerbeetle: runs 4 replicas, an even count", "[checklist item 1:", "Fix: set tigerbeetle.replicas to an odd count"]]);
    });

    it("reports fewer than minReplicas, and both problems for 2 replicas", async () => {
        expectViolations(await runPolicy(policy, [tigerbeetle(1)]), [["runs 1 replica, fewer than the 3 required"]]);
        expectViolations(await runPolicy(policy, [tigerbeetle(2)]), [["an even count"], ["runs 2 replicas, fewer than the 3"]]);
    });

    it("reports REPLICA_COUNT that disagrees with spec.replicas", async () => {
        const r = mutate([tigerbeetle(3)], tb, (p) => (firstContainer(p).env.find((e: any) => e.name === "REPLICA_COUNT").value = "5"));
        expectViolations(await runPolicy(policy, r), [["container tigerbeetle formats replicas with REPLICA_COUNT=5 but spec.replicas is 3"]]);
    });

    it("takes minReplicas from config: dev allows one replica", async () => {
        expectViolations(await runPolicy(policy, [tigerbeetle(1)], loadConfig("dev")), []);
        const v = await runPolicy(policy, [tigerbeetle(3)], { "tigerbeetle-replica-quorum": { minReplicas: 5 } });
        expectViolations(v, [["fewer than the 5 required"]]);
    });

    it("still reports an even count with the values a preview leaves unknown elsewhere (the generated cluster ID included)", async () => {
        const r = unknownAt(withPreviewUnknowns([tigerbeetle(4)]), tb, "spec", "template", "spec", "containers", 0, "env", 1, "value");
        expectViolations(await runPolicy(policy, r), [["StatefulSet tigerbeetle/tigerbeetle: runs 4 replicas, an even count"]]);
    });

    it("never passes a replica count or REPLICA_COUNT unknown during preview: the count is fixed at format time", async () => {
        expectViolations(await runPolicy(policy, unknownAt([tigerbeetle(3)], tb, "spec", "replicas")), [["StatefulSet tigerbeetle/tigerbeetle: spec.replicas is unknown during preview, so the replica count is not known to be odd and at least 3"]]);
        const count = mutate([tigerbeetle(3)], tb, (p) => (firstContainer(p).env.find((e: any) => e.name === "REPLICA_COUNT").value = UNKNOWN));
        expectViolations(await runPolicy(policy, count), [["container tigerbeetle REPLICA_COUNT is unknown during preview, so the count it formats replicas with is not known to match spec.replicas"]]);
    });
});
