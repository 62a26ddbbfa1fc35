import { T, UNKNOWN, compliantStack, expectViolations, ingress, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("ingress-only-public-endpoints");

describe("ingress-only-public-endpoints", () => {
    it("passes BTP, Explorer, SPSP and the AgentState API", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a route to a Service that is not public", async () => {
        const v = await runPolicy(policy, [ingress("metrics", "m2m-connector", [{ host: "m.example.com", service: "connector", port: 8080 }])]);
        expectViolations(v, [["Ingress m2m-connector/metrics: rule m.example.com/ routes to connector:8080, which is not a public endpoint", "[checklist item 11:", "publicEndpoints"]]);
        const admin = await runPolicy(policy, [ingress("admin", "agentstate", [{ host: "a.example.com", service: "agentstate", port: 9090 }])]);
        expectViolations(admin, [["routes to agentstate:9090, which is not a public endpoint"]]);
    });

    it("reports the agent runtime published beyond /.well-known/pay", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "agent-runtime-spsp"), (p) => (p.spec.rules[0].http.paths[0].path = "/"));
        expectViolations(await runPolicy(policy, r), [["rule pay.example.com/ publishes agent-runtime beyond its public paths /.well-known/pay"]]);
    });

    it("reports a default backend", async () => {
        const r = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.defaultBackend = { service: { name: "connector", port: { number: 4000 } } }));
        expectViolations(await runPolicy(policy, r), [["Ingress m2m-connector/connector: has a defaultBackend"]]);
    });

    it("takes the public endpoints from config", async () => {
        const config = { "ingress-only-public-endpoints": { publicEndpoints: [{ service: "connector", port: 4000 }] } };
        const v = await runPolicy(policy, compliantStack(), config);
        expectViolations(v, [["routes to connector-explorer:5173"], ["routes to agent-runtime:3100"], ["routes to agentstate:8080"]]);
    });

    it("still reports a route that is not public with the values a preview leaves unknown elsewhere", async () => {
        const r = withPreviewUnknowns([...compliantStack(), ingress("metrics", "m2m-connector", [{ host: "m.example.com", service: "connector", port: 8080 }])]);
        expectViolations(await runPolicy(policy, r), [["rule m.example.com/ routes to connector:8080, which is not a public endpoint"]]);
    });

    it("reports a backend or restricted path unknown during preview as not known to be public; an unknown host is fine", async () => {
        const service = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.rules[0].http.paths[0].backend.service.name = UNKNOWN));
        expectViolations(await runPolicy(policy, service), [["Ingress m2m-connector/connector: rule btp.example.com/ routes to <unknown>:4000, which is unknown during preview"]]);
        const path = mutate(compliantStack(), named(T.ingress, "agent-runtime-spsp"), (p) => (p.spec.rules[0].http.paths[0].path = UNKNOWN));
        expectViolations(await runPolicy(policy, path), [["rule pay.example.com<unknown> publishes agent-runtime under a path unknown during preview"]]);
        const host = mutate(compliantStack(), named(T.ingress, "connector"), (p) => (p.spec.rules[0].host = UNKNOWN));
        expectViolations(await runPolicy(policy, host), []);
    });
});
