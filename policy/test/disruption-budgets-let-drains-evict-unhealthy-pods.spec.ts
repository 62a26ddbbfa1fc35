import { T, UNKNOWN, compliantStack, expectViolations, labels, mutate, named, pdb, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("disruption-budgets-let-drains-evict-unhealthy-pods");
const connectorPdb = named(T.pdb, "connector");
const tbPdb = named(T.pdb, "tigerbeetle");

describe("disruption-budgets-let-drains-evict-unhealthy-pods", () => {
    it("passes AlwaysAllow on every budget but TigerBeetle's, which keeps IfHealthyBudget", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a budget that leaves the policy unset (IfHealthyBudget) or sets IfHealthyBudget", async () => {
        const unset = mutate(compliantStack(), connectorPdb, (p) => delete p.spec.unhealthyPodEvictionPolicy);
        expectViolations(await runPolicy(policy, unset), [
            ["PodDisruptionBudget m2m-connector/connector: unhealthyPodEvictionPolicy is unset (IfHealthyBudget, the default), so a node drain cannot evict its pods that are not Ready", "[checklist item 10:", "Fix: set unhealthyPodEvictionPolicy: AlwaysAllow"],
        ]);
        const ifHealthy = mutate(compliantStack(), named(T.pdb, "agent"), (p) => (p.spec.unhealthyPodEvictionPolicy = "IfHealthyBudget"));
        expectViolations(await runPolicy(policy, ifHealthy), [["PodDisruptionBudget client-a/agent: unhealthyPodEvictionPolicy is IfHealthyBudget"]]);
    });

    it("reports TigerBeetle's budget with AlwaysAllow, and accepts it unset", async () => {
        const always = mutate(compliantStack(), tbPdb, (p) => (p.spec.unhealthyPodEvictionPolicy = "AlwaysAllow"));
        expectViolations(await runPolicy(policy, always), [
            ["PodDisruptionBudget tigerbeetle/tigerbeetle: guards the quorum of StatefulSet tigerbeetle/tigerbeetle but its unhealthyPodEvictionPolicy is AlwaysAllow, so a drain evicts a replica that is not Ready", "Fix: set unhealthyPodEvictionPolicy: IfHealthyBudget (or leave it unset"],
        ]);
        expectViolations(await runPolicy(policy, mutate(compliantStack(), tbPdb, (p) => delete p.spec.unhealthyPodEvictionPolicy)), []);
    });

    it("holds other budgets in TigerBeetle's namespace to AlwaysAllow", async () => {
        const other = [...compliantStack(), pdb("exporter", "tigerbeetle", "tigerbeetle-exporter", { maxUnavailable: 1 }, "IfHealthyBudget")];
        expectViolations(await runPolicy(policy, other), [["PodDisruptionBudget tigerbeetle/exporter: unhealthyPodEvictionPolicy is IfHealthyBudget"]]);
    });

    it("treats the configured quorumWorkloads like TigerBeetle", async () => {
        const config = { "disruption-budgets-let-drains-evict-unhealthy-pods": { quorumWorkloads: ["m2m-connector/connector"] } };
        expectViolations(await runPolicy(policy, compliantStack(), config), [["PodDisruptionBudget m2m-connector/connector: guards the quorum of Deployment m2m-connector/connector but its unhealthyPodEvictionPolicy is AlwaysAllow"]]);
        const kept = mutate(compliantStack(), connectorPdb, (p) => (p.spec.unhealthyPodEvictionPolicy = "IfHealthyBudget"));
        expectViolations(await runPolicy(policy, kept, config), []);
    });

    it("still reports an unset policy with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(mutate(compliantStack(), connectorPdb, (p) => delete p.spec.unhealthyPodEvictionPolicy)));
        expectViolations(v, [["PodDisruptionBudget m2m-connector/connector: unhealthyPodEvictionPolicy is unset"]]);
    });

    it("reports a policy unknown during preview, on any budget", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), connectorPdb, "spec", "unhealthyPodEvictionPolicy")), [["PodDisruptionBudget m2m-connector/connector: unhealthyPodEvictionPolicy is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tbPdb, "spec", "unhealthyPodEvictionPolicy")), [["PodDisruptionBudget tigerbeetle/tigerbeetle: guards the quorum of StatefulSet tigerbeetle/tigerbeetle but its unhealthyPodEvictionPolicy is unknown during preview, so a drain may evict"]]);
    });

    it("reports a budget whose selector or namespace leaves open whether it guards a quorum; known parts that rule it out decide", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tbPdb, "spec", "selector")), [
            ["PodDisruptionBudget tigerbeetle/tigerbeetle: whether it selects the quorum workload StatefulSet tigerbeetle/tigerbeetle is unknown during preview (its selector or namespace is)", "Fix: give the PodDisruptionBudget a selector and namespace known before apply"],
        ]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tbPdb, "metadata", "namespace")), [["whether it selects the quorum workload StatefulSet tigerbeetle/tigerbeetle is unknown during preview"]]);
        // In another namespace than TigerBeetle, or with a selector that misses its pods: not a quorum's budget.
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), connectorPdb, "spec", "selector")), []);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), connectorPdb, "metadata", "namespace")), []);
        const label = mutate(compliantStack(), connectorPdb, (p) => (p.spec.selector.matchLabels = { ...labels("m2m-connector"), "app.kubernetes.io/instance": UNKNOWN }));
        expectViolations(await runPolicy(policy, label), []);
    });
});
