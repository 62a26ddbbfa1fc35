import { PLATFORM_CLASS, Props, T, TENANT_CLASS, UNKNOWN, compliantStack, derivedFrom, expectViolations, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("pods-have-priority-class");
const businessLogic = named(T.deployment, "business-logic");
const platformClass = named(T.priorityClass, PLATFORM_CLASS);
const tenantClass = named(T.priorityClass, TENANT_CLASS);
const pod = (p: Props) => p.spec.template.spec;

describe("pods-have-priority-class", () => {
    it("passes the platform's tiers at m2m-platform (100000) and the tenants' pods at m2m-tenant (1000, Never)", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a pod that names no priorityClassName", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), businessLogic, (p) => delete pod(p).priorityClassName));
        expectViolations(v, [["Deployment my-agent/business-logic: pod names no priorityClassName, so it runs at the cluster's default priority", "[checklist item 10:", "Fix: set the pod's priorityClassName"]]);
    });

    it("reports a class that is neither the stack's nor a configured cluster class, and accepts a configured one", async () => {
        const r = mutate(compliantStack(), businessLogic, (p) => (pod(p).priorityClassName = "system-cluster-critical"));
        expectViolations(await runPolicy(policy, r), [["Deployment my-agent/business-logic: pod names PriorityClass system-cluster-critical, which is neither a PriorityClass of this stack nor one of clusterPriorityClasses"]]);
        const config = { "pods-have-priority-class": { clusterPriorityClasses: [{ name: "system-cluster-critical", value: 2000000000 }] } };
        expectViolations(await runPolicy(policy, r, config), []);
    });

    it("reports a platform pod whose class is not above the tenants'", async () => {
        const same = mutate(compliantStack(), businessLogic, (p) => (pod(p).priorityClassName = TENANT_CLASS));
        expectViolations(await runPolicy(policy, same), [["Deployment my-agent/business-logic: pod runs at PriorityClass m2m-tenant (value 1000), not above m2m-tenant (value 1000) that tenant pods use (StatefulSet client-a/agent, StatefulSet client-a/brain)"]]);
        const raised = mutate(compliantStack(), tenantClass, (p) => (p.value = 100000));
        const v = await runPolicy(policy, raised);
        expectViolations(v, ["tigerbeetle/tigerbeetle", "m2m-connector/connector", "m2m-agent-runtime/agent-runtime", "my-agent/business-logic", "agentstate/agentstate"].map((w) => [`${w}: pod runs at PriorityClass m2m-platform (value 100000), not above m2m-tenant (value 100000)`]));
    });

    it("reports a tenant class that preempts (PreemptLowerPriority, or unset: the API's default), unless configured otherwise", async () => {
        const preempts = mutate(compliantStack(), tenantClass, (p) => (p.preemptionPolicy = "PreemptLowerPriority"));
        expectViolations(await runPolicy(policy, preempts), [["PriorityClass m2m-tenant: tenant pods (StatefulSet client-a/agent, StatefulSet client-a/brain) use it and its preemptionPolicy is PreemptLowerPriority, so a tenant scale-up evicts", "Fix: set preemptionPolicy: Never"]]);
        const unset = mutate(compliantStack(), tenantClass, (p) => delete p.preemptionPolicy);
        expectViolations(await runPolicy(policy, unset), [["its preemptionPolicy is PreemptLowerPriority"]]);
        expectViolations(await runPolicy(policy, preempts, { "pods-have-priority-class": { tenantsMustNotPreempt: false } }), []);
    });

    it("recognises tenant pods by the configured label values", async () => {
        const v = await runPolicy(policy, compliantStack(), { "pods-have-priority-class": { tenantLabelValues: ["agency-agent"] } });
        expectViolations(v, [["StatefulSet client-a/brain: pod runs at PriorityClass m2m-tenant (value 1000), not above m2m-tenant (value 1000) that tenant pods use (StatefulSet client-a/agent)"]]);
    });

    it("still reports a pod without a class with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(mutate(compliantStack(), businessLogic, (p) => delete pod(p).priorityClassName)));
        expectViolations(v, [["Deployment my-agent/business-logic: pod names no priorityClassName"]]);
    });

    it("takes an unknown priorityClassName for the one PriorityClass the pod spec depends on, and reports it otherwise", async () => {
        const unknown = unknownAt(compliantStack(), businessLogic, "spec", "template", "spec", "priorityClassName");
        expectViolations(await runPolicy(policy, derivedFrom(unknown, businessLogic, "spec", platformClass)), []);
        expectViolations(await runPolicy(policy, derivedFrom(unknown, businessLogic, "spec", tenantClass)), [["Deployment my-agent/business-logic: pod runs at PriorityClass m2m-tenant (value 1000), not above m2m-tenant"]]);
        expectViolations(await runPolicy(policy, unknown), [["Deployment my-agent/business-logic: pod's priorityClassName is unknown during preview and not known to name a PriorityClass of the stack"]]);
        const both = derivedFrom(unknown, businessLogic, "spec", (r) => r.type === T.priorityClass);
        expectViolations(await runPolicy(policy, both), [["pod's priorityClassName is unknown during preview and not known to name a PriorityClass of the stack"]]);
    });

    it("reports a class value or preemptionPolicy unknown during preview on the class, and a pod whose tenant label is unknown", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tenantClass, "value")), [["PriorityClass m2m-tenant: value is unknown during preview, so whether the platform's pods rank above the tenants' is not known", "Fix: set the PriorityClass's value to a literal"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), platformClass, "value")), [["PriorityClass m2m-platform: value is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tenantClass, "preemptionPolicy")), [["PriorityClass m2m-tenant: tenant pods (StatefulSet client-a/agent, StatefulSet client-a/brain) use it and its preemptionPolicy is unknown during preview, so a tenant scale-up is not known not to evict"]]);
        const label = unknownAt(compliantStack(), named(T.statefulSet, "brain"), "spec", "template", "metadata", "labels", "app.kubernetes.io/name");
        expectViolations(await runPolicy(policy, label), [["StatefulSet client-a/brain: pod label app.kubernetes.io/name is unknown during preview, so whether it is a tenant pod"]]);
    });

    it("does not take a known class name for a stack PriorityClass whose name is unknown", async () => {
        const r = mutate(compliantStack(), platformClass, (p) => (p.metadata.name = UNKNOWN));
        const v = await runPolicy(policy, r);
        expectViolations(
            v,
            ["tigerbeetle/tigerbeetle", "m2m-connector/connector", "m2m-agent-runtime/agent-runtime", "my-agent/business-logic", "agentstate/agentstate"].map((w) => [`${w}: pod names PriorityClass m2m-platform, which is not known to be a PriorityClass of this stack (the name of m2m-platform-`]),
        );
    });
});
