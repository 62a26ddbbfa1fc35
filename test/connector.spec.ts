import * as assert from "assert";
import * as yaml from "js-yaml";
import { CapturedStack, captureStack, containerOf, find, isSecretAt, podSpec } from "./harness";

describe("Connector", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });
    const appConfig = (s: CapturedStack) => yaml.load(find(s, "ConfigMap", "connector-app-config").props.data["config.yaml"]) as any;
    const env = (s: CapturedStack) => find(s, "ConfigMap", "connector-config").props.data;

    it("lists exactly the TigerBeetle replica addresses, in order, in config.yaml and TIGERBEETLE_REPLICAS", () => {
        for (const s of [dev, prod]) {
            const addresses = s.outputs.tigerBeetleAddresses as string[];
            assert.deepStrictEqual(appConfig(s).settlement.tigerBeetleReplicas, addresses);
            assert.strictEqual(env(s).TIGERBEETLE_REPLICAS, addresses.join(","));
        }
        assert.strictEqual(appConfig(prod).settlement.tigerBeetleReplicas.length, 3);
    });

    it("settles on the TigerBeetle cluster ID, written as a string so 128 bits survive", () => {
        const id = prod.outputs.tigerBeetleClusterId as string;
        assert.strictEqual(appConfig(prod).settlement.tigerBeetleClusterId, id);
        assert.strictEqual(env(prod).TIGERBEETLE_CLUSTER_ID, id);
        assert.match(find(prod, "ConfigMap", "connector-app-config").props.data["config.yaml"], new RegExp(`tigerBeetleClusterId: '${id}'`));
    });

    it("routes g.connector.agent to local delivery at the agent runtime Service", () => {
        const cfg = appConfig(prod);
        assert.deepStrictEqual(cfg.routes, [{ prefix: "g.connector.agent", nextHop: "local", priority: 100 }]);
        const url = "http://agent-runtime.m2m-agent-runtime.svc.cluster.local:3100";
        assert.deepStrictEqual(cfg.localDelivery, { enabled: true, handlerUrl: url, timeout: 30000 });
        assert.strictEqual(env(prod).LOCAL_DELIVERY_URL, url);
        assert.strictEqual(find(prod, "Service", "agent-runtime").props.spec.ports[0].port, 3100);
    });

    it("carries the seed's ports and explorer settings in config.yaml", () => {
        const cfg = appConfig(prod);
        assert.strictEqual(cfg.btpServerPort, 4000);
        assert.strictEqual(cfg.healthCheckPort, 8080);
        assert.deepStrictEqual(cfg.explorer, { enabled: true, port: 5173, retentionDays: 7, maxEvents: 1000000 });
        assert.strictEqual(cfg.environment, "production");
        assert.strictEqual(appConfig(dev).environment, "development");
    });

    it("mounts config.yaml at /app/config.yaml and takes the env ConfigMap whole", () => {
        const c = containerOf(find(prod, "Deployment", "connector"), "connector");
        assert.deepStrictEqual(c.volumeMounts[0], { name: "app-config", mountPath: "/app/config.yaml", subPath: "config.yaml", readOnly: true });
        assert.deepStrictEqual(c.envFrom, [{ configMapRef: { name: "connector-config" } }]);
    });

    it("reads the settlement credentials from a Secret filled from secret config", () => {
        const c = containerOf(find(prod, "Deployment", "connector"), "connector");
        for (const key of ["EVM_PRIVATE_KEY", "M2M_TOKEN_ADDRESS", "TOKEN_NETWORK_REGISTRY"]) {
            assert.deepStrictEqual(c.env.find((e: any) => e.name === key).valueFrom, { secretKeyRef: { name: "connector-secrets", key } });
        }
        const secret = find(prod, "Secret", "connector-secrets");
        assert.strictEqual(secret.props.stringData.EVM_PRIVATE_KEY, `0x${"ab".repeat(32)}`);
        assert.ok(isSecretAt(secret, "stringData.EVM_PRIVATE_KEY"), "the value travels as a Pulumi secret");
        const configMaps = JSON.stringify([env(prod), appConfig(prod)]);
        assert.ok(!configMaps.includes("ab".repeat(32)), "the key never lands in a ConfigMap");
    });

    it("generates a throwaway secret settlement key in dev when none is configured", () => {
        const secret = find(dev, "Secret", "connector-secrets");
        assert.match(secret.props.stringData.EVM_PRIVATE_KEY, /^0x[0-9a-f]{64}$/);
        assert.ok(isSecretAt(secret, "stringData.EVM_PRIVATE_KEY"));
    });

    it("exposes BTP and health/metrics on `connector` and the Explorer on `connector-explorer`", () => {
        assert.deepStrictEqual(find(prod, "Service", "connector").props.spec.ports.map((p: any) => [p.name, p.port]), [
            ["btp", 4000],
            ["http-metrics", 8080],
        ]);
        assert.deepStrictEqual(find(prod, "Service", "connector-explorer").props.spec.ports.map((p: any) => p.port), [5173]);
    });

    it("probes /health/live, /health/ready and starts up on /health", () => {
        const c = containerOf(find(prod, "Deployment", "connector"), "connector");
        assert.strictEqual(c.livenessProbe.httpGet.path, "/health/live");
        assert.strictEqual(c.readinessProbe.httpGet.path, "/health/ready");
        assert.strictEqual(c.startupProbe.httpGet.path, "/health");
    });

    it("is scraped by Prometheus on 8080 /metrics", () => {
        const annotations = find(prod, "Deployment", "connector").props.spec.template.metadata.annotations;
        assert.strictEqual(annotations["prometheus.io/scrape"], "true");
        assert.strictEqual(annotations["prometheus.io/port"], "8080");
        assert.strictEqual(annotations["prometheus.io/path"], "/metrics");
    });

    it("rolls its pods when the rendered configuration changes", async () => {
        const before = find(prod, "Deployment", "connector").props.spec.template.metadata.annotations["checksum/config"];
        const changed = await captureStack("prod", { connector: { logLevel: "debug" } });
        const after = find(changed, "Deployment", "connector").props.spec.template.metadata.annotations["checksum/config"];
        assert.match(before, /^[0-9a-f]{64}$/);
        assert.notStrictEqual(before, after);
    });

    it("runs as UID 1000 under its own ServiceAccount without a token, read-only, unprivileged", () => {
        const pod = podSpec(find(prod, "Deployment", "connector"));
        assert.strictEqual(pod.serviceAccountName, "m2m-connector");
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(find(prod, "ServiceAccount", "m2m-connector").props.automountServiceAccountToken, false);
        assert.strictEqual(pod.securityContext.runAsUser, 1000);
        assert.strictEqual(pod.securityContext.runAsNonRoot, true);
        const sc = pod.containers[0].securityContext;
        assert.deepStrictEqual(sc, {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        });
    });

    it("runs 1 replica in dev and 2 in prod with the production resource figures and a PDB", () => {
        assert.strictEqual(find(dev, "Deployment", "connector").props.spec.replicas, 1);
        const deployment = find(prod, "Deployment", "connector");
        assert.strictEqual(deployment.props.spec.replicas, 2);
        assert.deepStrictEqual(containerOf(deployment, "connector").resources, {
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "2000m", memory: "2Gi" },
        });
        assert.strictEqual(find(prod, "PodDisruptionBudget", "connector").props.spec.maxUnavailable, 1);
    });

    it("admits the ingress controller to BTP and the Explorer, monitoring to 8080, and reaches only TigerBeetle, the agent runtime and HTTPS", () => {
        const np = find(prod, "NetworkPolicy", "connector").props.spec;
        const ns = (peer: any) => peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"];
        assert.deepStrictEqual(np.ingress.map((r: any) => [ns(r.from[0]), r.ports.map((p: any) => p.port)]), [
            ["ingress-nginx", [4000, 5173]],
            ["monitoring", [8080]],
        ]);
        assert.deepStrictEqual(np.egress.map((r: any) => [ns(r.to[0]) ?? r.to[0].ipBlock.cidr, r.ports[0].port]), [
            ["tigerbeetle", 3000],
            ["m2m-agent-runtime", 3100],
            ["0.0.0.0/0", 443],
        ]);
    });

    it("publishes BTP over wss and the Explorer over https in prod, in-cluster URLs in dev", () => {
        assert.strictEqual(prod.outputs.btpUrl, "wss://btp.example.com");
        assert.strictEqual(prod.outputs.explorerUrl, "https://explorer.example.com");
        assert.strictEqual(dev.outputs.btpUrl, "ws://connector.m2m-connector.svc.cluster.local:4000");
        assert.strictEqual(dev.outputs.explorerUrl, "http://connector-explorer.m2m-connector.svc.cluster.local:5173");
        const ing = find(prod, "Ingress", "connector").props.spec;
        assert.deepStrictEqual(ing.tls[0].hosts, ["btp.example.com", "explorer.example.com"]);
    });
});
