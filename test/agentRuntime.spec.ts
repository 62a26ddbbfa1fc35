import * as assert from "assert";
import { CapturedStack, captureStack, containerOf, find } from "./harness";

describe("AgentRuntime", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("is configured by the seed's ConfigMap keys", () => {
        assert.deepStrictEqual(find(dev, "ConfigMap", "agent-runtime-config").props.data, {
            PORT: "3100",
            BASE_ADDRESS: "g.connector.agent",
            BUSINESS_LOGIC_URL: "http://business-logic.my-agent.svc.cluster.local:8080",
            BUSINESS_LOGIC_TIMEOUT: "5000",
            SPSP_ENABLED: "true",
            SESSION_TTL_MS: "3600000",
            LOG_LEVEL: "info",
            NODE_ID: "agent-runtime",
        });
    });

    it("points at the business logic Service", () => {
        const svc = find(dev, "Service", "business-logic");
        const url = find(dev, "ConfigMap", "agent-runtime-config").props.data.BUSINESS_LOGIC_URL;
        assert.strictEqual(url, `http://${svc.props.metadata.name}.${svc.props.metadata.namespace}.svc.cluster.local:${svc.props.spec.ports[0].port}`);
    });

    it("follows the business logic into another namespace", async () => {
        const moved = await captureStack("dev", { namespaces: { businessLogic: "payments" } });
        assert.strictEqual(find(moved, "ConfigMap", "agent-runtime-config").props.data.BUSINESS_LOGIC_URL, "http://business-logic.payments.svc.cluster.local:8080");
        const np = find(moved, "NetworkPolicy", "agent-runtime").props.spec;
        assert.strictEqual(np.egress[0].to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "payments");
    });

    it("serves SPSP and STREAM on 3100 with requests, limits and probes", () => {
        const c = containerOf(find(prod, "Deployment", "agent-runtime"), "agent-runtime");
        assert.strictEqual(c.ports[0].containerPort, 3100);
        assert.deepStrictEqual(c.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "1Gi" } });
        assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/health", port: "http" }, "readiness asks the health endpoint");
        assert.deepStrictEqual(c.livenessProbe.tcpSocket, { port: "http" }, "liveness only asks whether the process answers");
    });

    it("routes /.well-known/pay through a TLS ingress in prod and exports the payment pointer", () => {
        const ing = find(prod, "Ingress", "agent-runtime-spsp").props.spec;
        assert.deepStrictEqual(ing.rules[0].http.paths[0], {
            path: "/.well-known/pay",
            pathType: "Prefix",
            backend: { service: { name: "agent-runtime", port: { number: 3100 } } },
        });
        assert.deepStrictEqual(ing.tls, [{ hosts: ["pay.example.com"], secretName: "agent-runtime-spsp-public-tls" }]);
        assert.deepStrictEqual(prod.outputs.spspEndpoint, { url: "https://pay.example.com/.well-known/pay", paymentPointer: "$pay.example.com" });
    });

    it("exports the in-cluster SPSP URL when there is no ingress", () => {
        assert.strictEqual((dev.outputs.spspEndpoint as any).url, "http://agent-runtime.m2m-agent-runtime.svc.cluster.local:3100/.well-known/pay");
    });

    it("admits only the connector (and the ingress controller in prod) on 3100", () => {
        const names = (s: CapturedStack) =>
            find(s, "NetworkPolicy", "agent-runtime").props.spec.ingress[0].from.map((p: any) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]);
        assert.deepStrictEqual(names(dev), ["m2m-connector"]);
        assert.deepStrictEqual(names(prod), ["m2m-connector", "ingress-nginx"]);
    });
});
