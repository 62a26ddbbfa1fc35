import { T, UNKNOWN, compliantStack, derivedFrom, expectViolations, headlessService, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("statefulsets-have-headless-governing-service");
const agentState = named(T.statefulSet, "agentstate");
const headless = named(T.service, "agentstate-headless");

describe("statefulsets-have-headless-governing-service", () => {
    it("passes StatefulSets whose serviceName names a headless Service selecting their pods", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a StatefulSet governed by a ClusterIP Service, as the issue found AgentState and PostgreSQL", async () => {
        const v = await runPolicy(policy, mutate(compliantStack(), agentState, (p) => (p.spec.serviceName = "agentstate")));
        expectViolations(v, [
            [
                "StatefulSet agentstate/agentstate: governing Service agentstate is not headless (clusterIP unset, so it gets a virtual IP), so it publishes no DNS record per pod",
                "[checklist item 12: Every StatefulSet is governed by a headless Service",
                "Fix: point spec.serviceName at a Service in its namespace with clusterIP: None",
            ],
        ]);
        const withIp = mutate(compliantStack(), headless, (p) => (p.spec.clusterIP = "10.0.0.12"));
        expectViolations(await runPolicy(policy, withIp), [["governing Service agentstate-headless is not headless (clusterIP 10.0.0.12)"]]);
    });

    it("reports a headless Service that selects other pods", async () => {
        const r = mutate(compliantStack(), headless, (p) => (p.spec.selector = { "app.kubernetes.io/name": "postgres" }));
        expectViolations(await runPolicy(policy, r), [["StatefulSet agentstate/agentstate: governing Service agentstate-headless does not select its pods"]]);
        const none = mutate(compliantStack(), headless, (p) => delete p.spec.selector);
        expectViolations(await runPolicy(policy, none), [["governing Service agentstate-headless does not select its pods"]]);
    });

    it("reports a serviceName that names no Service of the stack in its namespace, and a missing serviceName", async () => {
        const missing = compliantStack().filter((r) => !named(T.service, "brain-pods")(r));
        expectViolations(await runPolicy(policy, missing), [["StatefulSet client-a/brain: spec.serviceName names Service brain-pods, which the stack does not create in namespace client-a"]]);
        const elsewhere = [...missing, headlessService("brain-pods", "client-b", "agency-brain", [{ name: "api", port: 3002 }])];
        expectViolations(await runPolicy(policy, elsewhere), [["names Service brain-pods, which the stack does not create in namespace client-a"]]);
        const unset = mutate(compliantStack(), agentState, (p) => delete p.spec.serviceName);
        expectViolations(await runPolicy(policy, unset), [["StatefulSet agentstate/agentstate: names no governing Service (spec.serviceName)"]]);
    });

    it("still reports a ClusterIP governing Service with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(mutate(compliantStack(), agentState, (p) => (p.spec.serviceName = "agentstate"))));
        expectViolations(v, [["governing Service agentstate is not headless"]]);
    });

    it("takes an unknown serviceName for the Services the spec depends on, when each is headless and selects the pods", async () => {
        const unknown = unknownAt(compliantStack(), agentState, "spec", "serviceName");
        expectViolations(await runPolicy(policy, derivedFrom(unknown, agentState, "spec", headless)), []);
        expectViolations(await runPolicy(policy, derivedFrom(unknown, agentState, "spec", named(T.service, "agentstate"))), [
            ["StatefulSet agentstate/agentstate: spec.serviceName is unknown during preview and not known to name a headless Service selecting its pods (of the Services its spec depends on, agentstate, not all are)"],
        ]);
        expectViolations(await runPolicy(policy, unknown), [["spec.serviceName is unknown during preview and not known to name a headless Service selecting its pods", "by a name known before apply"]]);
    });

    it("reports a clusterIP, selector or namespace unknown during preview; a Service whose name is unknown is not counted", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), headless, "spec", "clusterIP")), [["StatefulSet agentstate/agentstate: governing Service agentstate-headless is not known to be headless and to select its pods: Service agentstate-headless spec.clusterIP is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), headless, "spec", "selector")), [["Service agentstate-headless spec.selector is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), agentState, "metadata", "namespace")), [["StatefulSet <unknown>/agentstate: metadata.namespace is unknown during preview, so its governing Service is not known"]]);
        const name = mutate(compliantStack(), headless, (p) => (p.metadata.name = UNKNOWN));
        expectViolations(await runPolicy(policy, name), [["StatefulSet agentstate/agentstate: spec.serviceName names Service agentstate-headless, which the stack is not known to create in namespace agentstate (the name or namespace of agentstate-headless-"]]);
    });
});
