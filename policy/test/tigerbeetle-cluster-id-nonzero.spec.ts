import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-cluster-id-nonzero");
const identity = named(T.configMap, "tigerbeetle-cluster");
const tb = named(T.statefulSet, "tigerbeetle");
const setId = (id: string) =>
    mutate(mutate(compliantStack(), identity, (p) => (p.data.clusterId = id)), tb, (p) => (firstContainer(p).env.find((e: any) => e.name === "CLUSTER_ID").value = id));

describe("tigerbeetle-cluster-id-nonzero", () => {
    it("passes a generated 128-bit ID, and the largest one", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, setId(((1n << 128n) - 1n).toString())), []);
    });

    it("reports cluster ID 0 in the identity ConfigMap and in CLUSTER_ID", async () => {
        expectViolations(await runPolicy(policy, setId("0")), [
            ["ConfigMap tigerbeetle/tigerbeetle-cluster: data.clusterId is 0, which upstream reserves for testing", "[checklist item 1:", 'Fix: set tigerbeetle.clusterId to "generate"'],
            ["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle env CLUSTER_ID is 0"],
        ]);
    });

    it("reports an ID beyond 128 bits or not a decimal", async () => {
        expectViolations(await runPolicy(policy, setId((1n << 128n).toString())), [["data.clusterId is", "not a 128-bit unsigned decimal"], ["env CLUSTER_ID is"]]);
        expectViolations(await runPolicy(policy, setId("0x1f")), [['data.clusterId is "0x1f"'], ['env CLUSTER_ID is "0x1f"']]);
    });

    it("reports an identity ConfigMap without clusterId", async () => {
        const r = mutate(compliantStack(), identity, (p) => delete p.data.clusterId);
        expectViolations(await runPolicy(policy, r), [["data.clusterId is not set"]]);
    });

    it("allows 0 where the config allows it (dev)", async () => {
        expectViolations(await runPolicy(policy, setId("0"), loadConfig("dev")), []);
    });

    it("still reports cluster ID 0 with the values a preview leaves unknown elsewhere", async () => {
        expectViolations(await runPolicy(policy, withPreviewUnknowns(setId("0"))), [["data.clusterId is 0"], ["env CLUSTER_ID is 0"]]);
    });

    it("leaves a generated ID, unknown during preview, to the update, which checks it before anything is formatted", async () => {
        const r = setId(UNKNOWN);
        expectViolations(await runPolicy(policy, r), []);
        const oneKnown = mutate(r, tb, (p) => (firstContainer(p).env.find((e: any) => e.name === "CLUSTER_ID").value = "0"));
        expectViolations(await runPolicy(policy, oneKnown), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle env CLUSTER_ID is 0"]]);
    });
});
