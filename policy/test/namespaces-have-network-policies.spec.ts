import { T, UNKNOWN, compliantStack, deployment, expectViolations, mutate, named, networkPolicy, unknownAt, withPreviewUnknowns } from "./fixtures";
import { Resource, policyNamed, runPolicy } from "./run";

const policy = policyNamed("namespaces-have-network-policies");
const without = (pred: (r: Resource) => boolean) => compliantStack().filter((r) => !pred(r));

describe("namespaces-have-network-policies", () => {
    it("passes default-deny plus an allow list in every namespace", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a namespace without default-deny", async () => {
        const v = await runPolicy(policy, without(named(T.networkPolicy, "default-deny", "my-agent")));
        expectViolations(v, [
            ["Namespace my-agent: namespace my-agent has workloads but no default-deny NetworkPolicy for Ingress", "[checklist item 5:"],
            ["no default-deny NetworkPolicy for Egress"],
        ]);
    });

    it("reports a default-deny that covers only Ingress", async () => {
        const r = mutate(compliantStack(), named(T.networkPolicy, "default-deny", "agentstate"), (p) => (p.spec.policyTypes = ["Ingress"]));
        expectViolations(await runPolicy(policy, r), [["namespace agentstate has workloads but no default-deny NetworkPolicy for Egress"]]);
    });

    it("does not count a policy with allow rules as default-deny", async () => {
        const r = mutate(compliantStack(), named(T.networkPolicy, "default-deny", "my-agent"), (p) => (p.spec.ingress = [{ from: [{ podSelector: {} }] }]));
        const v = await runPolicy(policy, r);
        expectViolations(v, [["no default-deny NetworkPolicy for Ingress"], ["no default-deny NetworkPolicy for Egress"]]);
    });

    it("reports a workload no allow-list policy selects", async () => {
        const v = await runPolicy(policy, without(named(T.networkPolicy, "business-logic")));
        expectViolations(v, [["Deployment my-agent/business-logic: its pods are selected by no Ingress allow-list NetworkPolicy in my-agent"]]);
        const egressOnly = mutate(compliantStack(), named(T.networkPolicy, "business-logic"), (p) => (p.spec.policyTypes = ["Egress"]));
        expectViolations(await runPolicy(policy, egressOnly), [["Deployment my-agent/business-logic: its pods are selected by no Ingress allow-list"]]);
    });

    it("reports a workload in a namespace with no policies at all, without a Namespace resource", async () => {
        const v = await runPolicy(policy, [...compliantStack(), deployment("worker", "batch")]);
        expectViolations(v, [["Stack: namespace batch has workloads but no default-deny NetworkPolicy for Ingress"], ["Stack: namespace batch", "for Egress"], ["Deployment batch/worker: its pods are selected by no"]]);
    });

    it("skips exempt namespaces", async () => {
        const v = await runPolicy(policy, [...compliantStack(), deployment("worker", "batch")], { "namespaces-have-network-policies": { exemptNamespaces: ["batch"] } });
        expectViolations(v, []);
    });

    it("honours matchExpressions in pod selectors", async () => {
        const r = [...without(named(T.networkPolicy, "business-logic")), networkPolicy("bl", "my-agent", { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["business-logic"] }] }, ["Ingress"], { ingress: [{}] })];
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports a missing default-deny with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(without(named(T.networkPolicy, "default-deny", "my-agent"))));
        expectViolations(v, [["namespace my-agent has workloads but no default-deny NetworkPolicy for Ingress"], ["for Egress"]]);
    });

    it("counts a NetworkPolicy only for what is known of it during preview", async () => {
        const deny = unknownAt(compliantStack(), named(T.networkPolicy, "default-deny", "agentstate"), "spec", "policyTypes");
        expectViolations(await runPolicy(policy, deny), [
            ["namespace agentstate has workloads but no default-deny NetworkPolicy for Ingress (NetworkPolicy default-deny is unknown during preview in part and not counted)"],
            ["no default-deny NetworkPolicy for Egress"],
        ]);
        const allow = unknownAt(compliantStack(), named(T.networkPolicy, "business-logic"), "spec", "podSelector", "matchLabels", "app.kubernetes.io/name");
        expectViolations(await runPolicy(policy, allow), [["Deployment my-agent/business-logic: its pods are selected by no Ingress allow-list NetworkPolicy in my-agent", "(whether business-logic selects them is unknown during preview)"]]);
        const ns = mutate(compliantStack(), named(T.deployment, "business-logic"), (p) => (p.metadata.namespace = UNKNOWN));
        expectViolations(await runPolicy(policy, ns), [["Deployment <unknown>/business-logic: its namespace is unknown during preview"]]);
    });
});
