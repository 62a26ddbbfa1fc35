import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-port-not-exposed");
const client = named(T.service, "tigerbeetle");

describe("tigerbeetle-port-not-exposed", () => {
    it("passes ClusterIP and headless Services without host ports", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a NodePort and a LoadBalancer Service in front of TigerBeetle", async () => {
        for (const type of ["NodePort", "LoadBalancer"]) {
            const r = mutate(compliantStack(), client, (p) => (p.spec.type = type));
            expectViolations(await runPolicy(policy, r), [[`Service tigerbeetle/tigerbeetle: is type ${type}, exposing TigerBeetle outside the cluster`, "[checklist item 1:"]]);
        }
    });

    it("reports a nodePort on a ClusterIP Service and externalIPs", async () => {
        const r = mutate(compliantStack(), client, (p) => {
            p.spec.ports[0].nodePort = 30000;
            p.spec.externalIPs = ["203.0.113.10"];
        });
        expectViolations(await runPolicy(policy, r), [["sets nodePort on tigerbeetle"], ["lists externalIPs 203.0.113.10"]]);
    });

    it("reports a hostPort on the TigerBeetle container", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), (p) => (firstContainer(p).ports[0].hostPort = 3000));
        expectViolations(await runPolicy(policy, r), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle binds hostPort 3000"]]);
    });

    it("leaves other Services on port 3000 (the agency agent) alone", async () => {
        const r = mutate(compliantStack(), named(T.service, "connector"), (p) => (p.spec.ports[0].port = 3000));
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports a NodePort with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), client, (p) => (p.spec.type = "NodePort"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["Service tigerbeetle/tigerbeetle: is type NodePort, exposing TigerBeetle outside the cluster"]]);
    });

    it("checks a Service whose selector is unknown during preview as if it selected TigerBeetle, and reports an unknown type", async () => {
        const other = named(T.service, "connector");
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), other, "spec", "selector")), []);
        const exposed = mutate(unknownAt(compliantStack(), other, "spec", "selector"), other, (p) => (p.spec.type = "LoadBalancer"));
        expectViolations(await runPolicy(policy, exposed), [["Service m2m-connector/connector: is type LoadBalancer, exposing TigerBeetle outside the cluster (its selector is unknown during preview and may select TigerBeetle)"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), client, "spec", "type")), [["Service tigerbeetle/tigerbeetle: spec.type is unknown during preview, so it may expose TigerBeetle outside the cluster"]]);
        const nodePort = mutate(compliantStack(), client, (p) => (p.spec.ports[0].nodePort = UNKNOWN));
        expectViolations(await runPolicy(policy, nodePort), [["sets nodePort on tigerbeetle"]]);
    });
});
