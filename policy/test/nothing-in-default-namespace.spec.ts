import { T, UNKNOWN, compliantStack, configMap, expectViolations, mutate, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("nothing-in-default-namespace");

describe("nothing-in-default-namespace", () => {
    it("passes objects in their tiers' namespaces, and cluster-scoped ones", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports an object in `default`", async () => {
        expectViolations(await runPolicy(policy, [configMap("stray", "default", {})]), [["ConfigMap default/stray: is in the default namespace", "[security item S10:"]]);
    });

    it("reports an object without a namespace", async () => {
        const r = mutate([configMap("stray", "x", {})], () => true, (p) => delete p.metadata.namespace);
        expectViolations(await runPolicy(policy, r), [["ConfigMap default/stray: sets no metadata.namespace"]]);
    });

    it("ignores non-Kubernetes resources and components", async () => {
        const r = [
            { type: "random:index/randomId:RandomId", name: "id", props: {} },
            { type: "m2m:platform:TigerBeetleCluster", name: "tigerbeetle", props: {} },
            { type: "pulumi:providers:kubernetes", name: "k8s", props: {} },
            { type: T.namespace, name: "ns", props: { metadata: { name: "tigerbeetle" } } },
        ];
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports `default` with the values a preview leaves unknown elsewhere", async () => {
        const stray = mutate([configMap("stray", "default", {})], () => true, (p) => (p.data = { CLUSTER_ID: UNKNOWN }));
        expectViolations(await runPolicy(policy, withPreviewUnknowns([...compliantStack(), ...stray])), [["ConfigMap default/stray: is in the default namespace"]]);
    });

    it("leaves a namespace unknown during preview to the update: it is set, from another resource's output", async () => {
        const r = mutate([configMap("tier", "x", {})], () => true, (p) => (p.metadata.namespace = UNKNOWN));
        expectViolations(await runPolicy(policy, r), []);
    });
});
