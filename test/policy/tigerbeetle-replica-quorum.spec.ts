import { CLUSTER_ID, T, compliantStack, expectViolations, firstContainer, mutate, named, tigerbeetle } from "./fixtures";
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
});
