import * as assert from "assert";
import { CapturedStack, captureStack, containerOf, envValue, find, ofKind } from "./harness";

describe("Agency", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("gives each tenant its own namespace", () => {
        const names = (s: CapturedStack) => ofKind(s, "Namespace").map((n) => n.props.metadata.name);
        assert.ok(names(dev).includes("client-a"));
        assert.ok(names(prod).includes("client-a") && names(prod).includes("client-b"));
    });

    it("runs the agent with its health-monitor, swarm and elastic-swarm sidecars on 3000/3004/3005/3006", () => {
        const sts = find(prod, "StatefulSet", "agent", "client-b");
        const ports = sts.props.spec.template.spec.containers.map((c: any) => [c.name, c.ports[0].containerPort]);
        assert.deepStrictEqual(ports, [
            ["agent", 3000],
            ["health-monitor", 3004],
            ["swarm", 3005],
            ["elastic-swarm", 3006],
        ]);
    });

    it("exports queue_length for its HPA: the elastic swarm's metrics port, scraped, reachable from monitoring only", () => {
        for (const tenant of ["client-a", "client-b"]) {
            const sts = find(prod, "StatefulSet", "agent", tenant);
            const swarm = containerOf(sts, "elastic-swarm");
            assert.deepStrictEqual(swarm.ports, [{ name: "metrics", containerPort: 3006 }]);
            assert.deepStrictEqual(sts.props.spec.template.metadata.annotations, { "prometheus.io/scrape": "true", "prometheus.io/port": "3006", "prometheus.io/path": "/metrics" });
            const metric = find(prod, "HorizontalPodAutoscaler", "agent-hpa", tenant).props.spec.metrics.find((m: any) => m.type === "Pods");
            assert.strictEqual(metric.pods.metric.name, "queue_length");
            const rules = find(prod, "NetworkPolicy", "tenant-isolation", tenant).props.spec.ingress;
            const fromMonitoring = rules.find((r: any) => r.from[0].namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "monitoring");
            assert.deepStrictEqual(fromMonitoring.ports.map((p: any) => p.port), [3004, 3006]);
        }
    });

    it("injects the tenant as COMPANY and mounts .agent and .agent/brain", () => {
        const agent = containerOf(find(prod, "StatefulSet", "agent", "client-b"), "agent");
        assert.strictEqual(envValue(agent, "COMPANY"), "client-b");
        assert.deepStrictEqual(agent.volumeMounts.map((m: any) => m.mountPath), ["/app/.agent", "/app/.agent/brain", "/tmp"]);
        const claims = find(prod, "StatefulSet", "agent", "client-b").props.spec.volumeClaimTemplates.map((c: any) => c.metadata.name);
        assert.deepStrictEqual(claims, ["agent", "brain"]);
    });

    it("runs the Brain StatefulSet on 3002 with its own volume", () => {
        const brain = find(prod, "StatefulSet", "brain", "client-a");
        assert.strictEqual(containerOf(brain, "brain").ports[0].containerPort, 3002);
        assert.strictEqual(brain.props.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
    });

    it("scales 1-5 agents on CPU 80%, memory 85% and a queue_length of 5 per pod, with memory limits equal to requests", () => {
        const hpa = find(prod, "HorizontalPodAutoscaler", "agent-hpa", "client-a").props.spec;
        assert.deepStrictEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "agent" });
        assert.strictEqual(hpa.minReplicas, 1);
        assert.strictEqual(hpa.maxReplicas, 5);
        assert.deepStrictEqual(hpa.metrics[2], {
            type: "Pods",
            pods: { metric: { name: "queue_length" }, target: { type: "AverageValue", averageValue: "5" } },
        });
        assert.deepStrictEqual(hpa.metrics.slice(0, 2).map((m: any) => m.resource.target.averageUtilization), [80, 85]);
        for (const c of find(prod, "StatefulSet", "agent", "client-a").props.spec.template.spec.containers) {
            assert.strictEqual(c.resources.limits.memory, c.resources.requests.memory, c.name);
        }
    });

    it("isolates tenants: no policy in one tenant's namespace names another tenant's", () => {
        for (const np of ofKind(prod, "NetworkPolicy").filter((n) => n.props.metadata.namespace === "client-a")) {
            const text = JSON.stringify(np.props.spec);
            assert.ok(!text.includes("client-b"), np.props.metadata.name);
        }
        const iso = find(prod, "NetworkPolicy", "tenant-isolation", "client-a").props.spec;
        assert.deepStrictEqual(iso.ingress[0], { from: [{ podSelector: { matchLabels: {} } }] }, "only its own pods");
        const internet = iso.egress.find((r: any) => r.to[0].ipBlock);
        assert.deepStrictEqual(internet.to[0].ipBlock.except, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);
    });

    it("builds the agency image once for all tenants", () => {
        const builds = ofKind(prod, "Image").filter((i) => String(i.props.imageName).includes("digital-agency"));
        assert.strictEqual(builds.length, 1);
        const images = ["client-a", "client-b"].map((t) => containerOf(find(prod, "StatefulSet", "agent", t), "agent").image);
        assert.strictEqual(images[0], images[1]);
        assert.match(images[0], /@sha256:[0-9a-f]{64}$/);
    });

    it("removes only the tenant dropped from config", async () => {
        const fewer = await captureStack("prod", { agency: { tenants: ["client-a"] } });
        const names = (s: CapturedStack) => new Set(s.resources.map((r) => r.name));
        const removed = [...names(prod)].filter((n) => !names(fewer).has(n));
        assert.ok(removed.length > 10);
        assert.ok(removed.every((n) => n.startsWith("agency-client-b")), removed.join(", "));
    });

    it("exports each tenant's endpoints", () => {
        assert.deepStrictEqual((prod.outputs.agencyEndpoints as any)["client-b"], {
            agent: "http://agent.client-b.svc.cluster.local:3000",
            healthMonitor: "http://agent.client-b.svc.cluster.local:3004",
            brain: "http://brain.client-b.svc.cluster.local:3002",
        });
    });

    it("prefixes tenant namespaces with the stack's namespace prefix", async () => {
        const s = await captureStack("dev", { namespacePrefix: "qa-" });
        assert.ok(find(s, "StatefulSet", "agent", "qa-client-a"));
    });
});
