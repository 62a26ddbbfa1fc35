import { HOSTNAME, Props, T, UNKNOWN, compliantStack, expectViolations, labels, mutate, named, tigerbeetle, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-replicas-on-distinct-nodes");
const tb = named(T.statefulSet, "tigerbeetle");
const pod = (p: Props) => p.spec.template.spec;
const own = { matchLabels: labels("tigerbeetle") };
const SPREAD = "StatefulSet tigerbeetle/tigerbeetle: runs 3 replicas but the scheduler may put two of them on one node, whose loss then takes both and can take its quorum of 2";

/** TigerBeetle with only the given hostname spread (no anti-affinity). */
function spreadOnly(constraint: Props) {
    return mutate([tigerbeetle(3)], tb, (p) => {
        delete pod(p).affinity;
        pod(p).topologySpreadConstraints = [{ maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: "DoNotSchedule", labelSelector: own, ...constraint }];
    });
}

describe("tigerbeetle-replicas-on-distinct-nodes", () => {
    it("passes the program's placement: a DoNotSchedule hostname spread plus a required anti-affinity on the hostname", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("passes a required anti-affinity alone, and a DoNotSchedule maxSkew 1 spread with minDomains of the replica count alone", async () => {
        const anti = mutate([tigerbeetle(3)], tb, (p) => delete pod(p).topologySpreadConstraints);
        expectViolations(await runPolicy(policy, anti), []);
        expectViolations(await runPolicy(policy, spreadOnly({ minDomains: 3 })), []);
    });

    it("does not apply to one replica or to other StatefulSets", async () => {
        const single = mutate([tigerbeetle(1)], tb, (p) => {
            delete pod(p).affinity;
            delete pod(p).topologySpreadConstraints;
        });
        expectViolations(await runPolicy(policy, single), []);
        const others = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => (p.spec.replicas = 3));
        expectViolations(await runPolicy(policy, others), []);
    });

    it("reports the soft spread the issue found (ScheduleAnyway, no anti-affinity)", async () => {
        const v = await runPolicy(policy, spreadOnly({ whenUnsatisfiable: "ScheduleAnyway" }));
        expectViolations(v, [[SPREAD, "topologySpreadConstraints[0] on kubernetes.io/hostname: it is whenUnsatisfiable ScheduleAnyway", "[checklist item 1:", "Fix: add a required podAntiAffinity term on kubernetes.io/hostname"]]);
    });

    it("reports a DoNotSchedule spread without minDomains: on two nodes 2 + 1 replicas is a skew of 1", async () => {
        expectViolations(await runPolicy(policy, spreadOnly({})), [[SPREAD, "it sets no minDomains, so on fewer schedulable nodes than 3 it still puts two replicas on one node", "minDomains: 3"]]);
        expectViolations(await runPolicy(policy, spreadOnly({ minDomains: 2 })), [["its minDomains 2 is below the 3 replicas"]]);
    });

    it("reports a spread with maxSkew 2, and one that selects other pods", async () => {
        expectViolations(await runPolicy(policy, spreadOnly({ minDomains: 3, maxSkew: 2 })), [[SPREAD, "its maxSkew is 2"]]);
        expectViolations(await runPolicy(policy, spreadOnly({ minDomains: 3, labelSelector: { matchLabels: labels("connector") } })), [["its labelSelector does not select the TigerBeetle pods"]]);
    });

    it("reports an anti-affinity that is only preferred, on the zone, or selecting other pods", async () => {
        const without = (edit: (anti: Props) => void) =>
            mutate([tigerbeetle(3)], tb, (p) => {
                delete pod(p).topologySpreadConstraints;
                edit(pod(p).affinity.podAntiAffinity);
            });
        const preferred = without((a) => {
            a.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 100, podAffinityTerm: a.requiredDuringSchedulingIgnoredDuringExecution[0] }];
            delete a.requiredDuringSchedulingIgnoredDuringExecution;
        });
        expectViolations(await runPolicy(policy, preferred), [[SPREAD, "podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0] on kubernetes.io/hostname is only preferred"]]);
        const zone = without((a) => (a.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey = "topology.kubernetes.io/zone"));
        expectViolations(await runPolicy(policy, zone), [[SPREAD, "(no required podAntiAffinity and no DoNotSchedule topology spread on kubernetes.io/hostname)"]]);
        const others = without((a) => (a.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector = { matchLabels: { "app.kubernetes.io/name": "postgres" } }));
        expectViolations(await runPolicy(policy, others), [["podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0] on kubernetes.io/hostname: its labelSelector does not select the TigerBeetle pods"]]);
        const elsewhere = without((a) => (a.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces = ["m2m-connector"]));
        expectViolations(await runPolicy(policy, elsewhere), [["it looks for the replicas in other namespaces"]]);
        const byName = without((a) => (a.requiredDuringSchedulingIgnoredDuringExecution[0].namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": "tigerbeetle" } }));
        expectViolations(await runPolicy(policy, byName), []);
    });

    it("reports a TigerBeetle with no placement at all", async () => {
        const none = mutate(compliantStack(), tb, (p) => {
            delete pod(p).affinity;
            delete pod(p).topologySpreadConstraints;
        });
        expectViolations(await runPolicy(policy, none), [[SPREAD, "(no required podAntiAffinity and no DoNotSchedule topology spread on kubernetes.io/hostname)"]]);
    });

    it("still reports the soft spread with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(spreadOnly({ whenUnsatisfiable: "ScheduleAnyway" })));
        expectViolations(v, [[SPREAD, "whenUnsatisfiable ScheduleAnyway"]]);
    });

    it("takes a replica count unknown during preview as more than one: the anti-affinity still passes, a spread alone is not known to suffice", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tb, "spec", "replicas")), []);
        const spread = unknownAt(spreadOnly({ minDomains: 3 }), tb, "spec", "replicas");
        expectViolations(await runPolicy(policy, spread), [["StatefulSet tigerbeetle/tigerbeetle: runs a replica count unknown during preview and is not known to keep two of them off one node: spec.replicas is unknown during preview"]]);
    });

    it("does not count a term or constraint with an unknown field, and reports when nothing known keeps the replicas apart", async () => {
        // One of two mechanisms unknown: the other still decides when it suffices on its own.
        const antiKey = ["spec", "template", "spec", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"];
        const both = mutate(spreadOnly({ minDomains: 3 }), tb, (p) => (pod(p).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector: own }] } }));
        expectViolations(await runPolicy(policy, unknownAt(both, tb, ...antiKey)), []);
        // The program's spread has no minDomains: with the anti-affinity's key unknown, nothing known suffices.
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tb, ...antiKey)), [
            ["is not known to keep two of them off one node: podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey is unknown during preview (topologySpreadConstraints[0]: it sets no minDomains"],
        ]);
        const key = unknownAt(spreadOnly({ minDomains: 3 }), tb, "spec", "template", "spec", "topologySpreadConstraints", 0, "whenUnsatisfiable");
        expectViolations(await runPolicy(policy, key), [["is not known to keep two of them off one node: topologySpreadConstraints[0].whenUnsatisfiable is unknown during preview", "with values known before apply"]]);
        const soft = mutate(spreadOnly({ whenUnsatisfiable: "ScheduleAnyway" }), tb, (p) => (pod(p).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: UNKNOWN } }));
        expectViolations(await runPolicy(policy, soft), [["podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution is unknown during preview (topologySpreadConstraints[0]: it is whenUnsatisfiable ScheduleAnyway"]]);
        const selector = unknownAt(compliantStack(), tb, "spec", "template", "spec", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "labelSelector");
        const noSpread = mutate(selector, tb, (p) => delete pod(p).topologySpreadConstraints);
        expectViolations(await runPolicy(policy, noSpread), [["podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector is unknown during preview"]]);
    });
});
