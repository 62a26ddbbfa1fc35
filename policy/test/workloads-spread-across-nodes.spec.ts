import { HOSTNAME, Props, T, UNKNOWN, compliantStack, expectViolations, labels, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("workloads-spread-across-nodes");
const runtime = named(T.deployment, "agent-runtime");
const pod = (p: Props) => p.spec.template.spec;
const unspread = (p: Props) => {
    delete pod(p).topologySpreadConstraints;
    delete pod(p).affinity;
};
const RUNTIME = "Deployment m2m-agent-runtime/agent-runtime: runs up to 2 replicas but nothing spreads them over nodes, so the scheduler may stack them on one node and its loss takes the whole tier";

describe("workloads-spread-across-nodes", () => {
    it("passes the program's soft hostname and zone spreads on every replicated tier; a single replica needs none", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        const brain = compliantStack().find(named(T.statefulSet, "brain"))!;
        expectViolations(await runPolicy(policy, [brain]), []);
    });

    it("reports a replicated Deployment with no placement", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), runtime, unspread));
        expectViolations(v, [[RUNTIME, "(no topology spread or pod anti-affinity on kubernetes.io/hostname)", "[checklist item 10:", "Fix: add a topologySpreadConstraint on kubernetes.io/hostname"]]);
    });

    it("counts an HPA's maxReplicas: the single-replica tenant agent that scales to 5 must spread", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), named(T.statefulSet, "agent"), unspread));
        expectViolations(v, [["StatefulSet client-a/agent: runs up to 5 replicas but nothing spreads them over nodes"]]);
    });

    it("reports a spread on the zone only, and a hostname spread that selects other pods", async () => {
        const zone = mutate(compliantStack(), runtime, (p) => (pod(p).topologySpreadConstraints = pod(p).topologySpreadConstraints.filter((c: Props) => c.topologyKey !== HOSTNAME)));
        expectViolations(await runPolicy(policy, zone), [[RUNTIME, "(no topology spread or pod anti-affinity on kubernetes.io/hostname)"]]);
        const other = mutate(compliantStack(), runtime, (p) => (pod(p).topologySpreadConstraints[0].labelSelector = { matchLabels: labels("business-logic") }));
        expectViolations(await runPolicy(policy, other), [[RUNTIME, "(topologySpreadConstraints[0] on kubernetes.io/hostname: its labelSelector does not select the workload's pods)"]]);
    });

    it("accepts a hostname anti-affinity, required or preferred, instead of a spread; not one that looks in another namespace", async () => {
        const term = { topologyKey: HOSTNAME, labelSelector: { matchLabels: labels("agent-runtime") } };
        const required = mutate(compliantStack(), runtime, (p) => {
            unspread(p);
            pod(p).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
        });
        expectViolations(await runPolicy(policy, required), []);
        const preferred = mutate(compliantStack(), runtime, (p) => {
            unspread(p);
            pod(p).affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
        });
        expectViolations(await runPolicy(policy, preferred), []);
        const elsewhere = mutate(required, runtime, (p) => (pod(p).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces = ["my-agent"]));
        expectViolations(await runPolicy(policy, elsewhere), [[RUNTIME, "podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0] on kubernetes.io/hostname: it looks for the pods in other namespaces"]]);
    });

    it("leaves TigerBeetle to its own rule, and skips exempt workloads", async () => {
        expectViolations(await runPolicy(policy, mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), unspread)), []);
        const r = mutate(compliantStack(), runtime, unspread);
        expectViolations(await runPolicy(policy, r, { "workloads-spread-across-nodes": { exemptWorkloads: ["m2m-agent-runtime/agent-runtime"] } }), []);
    });

    it("still reports an unspread Deployment with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(mutate(compliantStack(), runtime, unspread)));
        expectViolations(v, [[RUNTIME]]);
    });

    it("takes a replica count unknown during preview as replicated", async () => {
        const brain = unknownAt(compliantStack(), named(T.statefulSet, "brain"), "spec", "replicas");
        expectViolations(await runPolicy(policy, brain), [["StatefulSet client-a/brain: runs a replica count unknown during preview but nothing spreads them over nodes"]]);
    });

    it("does not count a placement with an unknown key or selector, nor an unknown list; an unknown field of a zone spread does not matter", async () => {
        const list = unknownAt(compliantStack(), runtime, "spec", "template", "spec", "topologySpreadConstraints");
        expectViolations(await runPolicy(policy, list), [["Deployment m2m-agent-runtime/agent-runtime: runs up to 2 replicas and is not known to spread them over nodes: topologySpreadConstraints is unknown during preview", "with values known before apply"]]);
        const selector = unknownAt(compliantStack(), runtime, "spec", "template", "spec", "topologySpreadConstraints", 0, "labelSelector");
        expectViolations(await runPolicy(policy, selector), [["is not known to spread them over nodes: topologySpreadConstraints[0].labelSelector is unknown during preview"]]);
        const key = mutate(compliantStack(), runtime, (p) => (pod(p).topologySpreadConstraints = [{ ...pod(p).topologySpreadConstraints[0], topologyKey: UNKNOWN }]));
        expectViolations(await runPolicy(policy, key), [["topologySpreadConstraints[0].topologyKey is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), runtime, "spec", "template", "spec", "topologySpreadConstraints", 1, "labelSelector")), []);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), runtime, "spec", "template", "spec", "topologySpreadConstraints", 0, "whenUnsatisfiable")), []);
    });
});
