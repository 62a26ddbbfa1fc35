import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("services-stay-cluster-internal");
const explorer = named(T.service, "connector-explorer");

describe("services-stay-cluster-internal", () => {
    it("passes ClusterIP and headless Services", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports LoadBalancer, NodePort and ExternalName Services", async () => {
        for (const type of ["LoadBalancer", "NodePort", "ExternalName"]) {
            const r = mutate(compliantStack(), explorer, (p) => (p.spec.type = type));
            expectViolations(await runPolicy(policy, r), [[`Service m2m-connector/connector-explorer: is type ${type}, reachable from outside the cluster without the Ingress`, "[checklist item 11:"]]);
        }
    });

    it("reports externalIPs", async () => {
        const r = mutate(compliantStack(), explorer, (p) => (p.spec.externalIPs = ["198.51.100.7"]));
        expectViolations(await runPolicy(policy, r), [["lists externalIPs 198.51.100.7"]]);
    });

    it("allows the Services listed in config", async () => {
        const r = mutate(compliantStack(), explorer, (p) => (p.spec.type = "LoadBalancer"));
        expectViolations(await runPolicy(policy, r, { "services-stay-cluster-internal": { allowedExternalServices: ["m2m-connector/connector-explorer"] } }), []);
    });

    it("still reports a LoadBalancer with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), explorer, (p) => (p.spec.type = "LoadBalancer"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["Service m2m-connector/connector-explorer: is type LoadBalancer"]]);
    });

    it("reports a type or externalIPs unknown during preview: not known to stay internal", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), explorer, "spec", "type")), [["Service m2m-connector/connector-explorer: spec.type is unknown during preview, so it may be reachable from outside the cluster"]]);
        const ips = mutate(compliantStack(), explorer, (p) => (p.spec.externalIPs = UNKNOWN));
        expectViolations(await runPolicy(policy, ips), [["lists externalIPs (unknown during preview)"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), explorer, "spec", "clusterIP")), []);
    });
});
