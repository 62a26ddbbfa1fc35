import { T, compliantStack, expectViolations, mutate, named } from "./fixtures";
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
});
