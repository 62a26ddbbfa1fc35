import * as assert from "assert";
import { CapturedStack, captureStack, containerOf, find, isSecretAt, ofKind } from "./harness";

/** The CAP key resources (the tier's other RandomBytes keys its secret checksum). */
const capKeyResources = (s: CapturedStack) => ofKind(s, "RandomBytes").filter((k) => k.name.startsWith("agentstate-cap-key-"));

describe("AgentState", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("serves the API on 8080 and metrics/admin on 9090, scraped on 9090", () => {
        const sts = find(prod, "StatefulSet", "agentstate");
        const c = containerOf(sts, "agentstate");
        assert.deepStrictEqual(c.ports.map((p: any) => [p.name, p.containerPort]), [
            ["api", 8080],
            ["metrics", 9090],
        ]);
        assert.strictEqual(sts.props.spec.template.metadata.annotations["prometheus.io/port"], "9090");
    });

    it("keeps DATA_DIR on a persistent volume, protected in prod", () => {
        const sts = find(prod, "StatefulSet", "agentstate");
        assert.strictEqual(find(prod, "ConfigMap", "agentstate-config").props.data.DATA_DIR, "/data");
        assert.deepStrictEqual(containerOf(sts, "agentstate").volumeMounts[0], { name: "data", mountPath: "/data" });
        assert.strictEqual(sts.props.spec.volumeClaimTemplates[0].metadata.name, "data");
        assert.strictEqual(sts.protect, true);
    });

    it("generates each CAP key as 32 random bytes, one resource per key id", () => {
        const keys = capKeyResources(prod);
        assert.deepStrictEqual(keys.map((k) => k.name).sort(), ["agentstate-cap-key-prod-2026-11", "agentstate-cap-key-prod-2027-02"]);
        for (const k of keys) {
            assert.strictEqual(k.props.length, 32);
        }
        const caps = prod.outputs.capKeys as { active: string; next: string };
        assert.strictEqual(Buffer.from(caps.active, "base64").length, 32);
        assert.notStrictEqual(caps.active, caps.next);
    });

    it("keeps key values in a Secret and only the ids in the ConfigMap", () => {
        const secret = find(prod, "Secret", "agentstate-cap-keys");
        const caps = prod.outputs.capKeys as { active: string; next: string };
        assert.deepStrictEqual(secret.props.stringData, { CAP_KEY_ACTIVE: caps.active, CAP_KEY_NEXT: caps.next });
        assert.ok(isSecretAt(secret, "stringData.CAP_KEY_ACTIVE") && isSecretAt(secret, "stringData.CAP_KEY_NEXT"));
        const cm = find(prod, "ConfigMap", "agentstate-config").props.data;
        assert.strictEqual(cm.CAP_KEY_ACTIVE_ID, "prod-2026-11");
        assert.strictEqual(cm.CAP_KEY_NEXT_ID, "prod-2027-02");
        const env = containerOf(find(prod, "StatefulSet", "agentstate"), "agentstate").env;
        assert.deepStrictEqual(env.map((e: any) => e.valueFrom.secretKeyRef.key), ["CAP_KEY_ACTIVE", "CAP_KEY_NEXT"]);
    });

    it("exports the key ids in clear and the key values only as a secret", () => {
        assert.deepStrictEqual(prod.outputs.capKeyIds, { active: "prod-2026-11", next: "prod-2027-02" });
        assert.ok(prod.secretOutputs.has("capKeys"));
        assert.ok(!prod.secretOutputs.has("capKeyIds"));
    });

    it("never writes a key value into any ConfigMap", () => {
        const caps = prod.outputs.capKeys as { active: string; next: string };
        for (const cm of ofKind(prod, "ConfigMap")) {
            const text = JSON.stringify(cm.props.data);
            assert.ok(!text.includes(caps.active) && !text.includes(caps.next), cm.props.metadata.name);
        }
    });

    it("rotates by config: the promoted key keeps its resource, only the new next key is minted", async () => {
        const rotated = await captureStack("prod", { agentState: { capKeys: { activeId: "prod-2027-02", nextId: "prod-2027-05" } } });
        const before = new Map(capKeyResources(prod).map((k) => [k.name, k]));
        const after = capKeyResources(rotated).map((k) => k.name).sort();
        assert.deepStrictEqual(after, ["agentstate-cap-key-prod-2027-02", "agentstate-cap-key-prod-2027-05"]);
        assert.ok(before.has("agentstate-cap-key-prod-2027-02"), "the promoted key is the same resource as before");
        const caps = rotated.outputs.capKeys as { active: string };
        assert.strictEqual(caps.active, (prod.outputs.capKeys as { next: string }).next);
        assert.notStrictEqual(
            find(rotated, "StatefulSet", "agentstate").props.spec.template.metadata.annotations["checksum/config"],
            find(prod, "StatefulSet", "agentstate").props.spec.template.metadata.annotations["checksum/config"],
            "the server restarts with the new pair",
        );
    });

    it("tunes the watch buffers", () => {
        const cm = find(dev, "ConfigMap", "agentstate-config").props.data;
        assert.strictEqual(cm.WATCH_BUFFER_SIZE, "10000");
        assert.strictEqual(cm.WATCH_BUFFER_BYTES, "10485760");
        assert.strictEqual(cm.REGION, "local");
    });

    it("gets its service certificate from a CA of its own (no public CA signs cluster names) and serves HTTPS", () => {
        const cert = find(prod, "Certificate", "agentstate-tls").props;
        assert.deepStrictEqual(cert.spec.issuerRef, { kind: "Issuer", name: "agentstate-ca" });
        assert.deepStrictEqual(cert.spec.dnsNames, ["agentstate.agentstate.svc.cluster.local", "agentstate.agentstate.svc"]);
        const issuers = prod.resources.filter((r) => r.type === "kubernetes:cert-manager.io/v1:Issuer").map((r) => [r.props.metadata.name, r.props.spec]);
        assert.deepStrictEqual(issuers, [
            ["agentstate-selfsigned", { selfSigned: {} }],
            ["agentstate-ca", { ca: { secretName: "agentstate-ca" } }],
        ]);
        const ca = find(prod, "Certificate", "agentstate-ca").props.spec;
        assert.strictEqual(ca.isCA, true);
        assert.deepStrictEqual(ca.issuerRef, { kind: "Issuer", name: "agentstate-selfsigned" });
        const c = containerOf(find(prod, "StatefulSet", "agentstate"), "agentstate");
        assert.strictEqual(c.readinessProbe.httpGet.scheme, "HTTPS");
        assert.strictEqual(find(prod, "ConfigMap", "agentstate-config").props.data.TLS_CERT_FILE, "/tls/tls.crt");
        assert.strictEqual(containerOf(find(dev, "StatefulSet", "agentstate"), "agentstate").readinessProbe.httpGet.scheme, "HTTP");
    });

    it("gives the Ingress a public certificate of its own, apart from the service certificate", () => {
        const ingress = prod.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress" && r.props.metadata.name === "agentstate")!.props;
        assert.deepStrictEqual(ingress.spec.tls, [{ hosts: ["state.example.com"], secretName: "agentstate-public-tls" }]);
        assert.strictEqual(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    });

    it("takes the service certificate from a named in-cluster ClusterIssuer instead, when given", async () => {
        const named = await captureStack("prod", { agentState: { tls: { mode: "certManager", issuer: "company-ca" } } });
        assert.deepStrictEqual(find(named, "Certificate", "agentstate-tls").props.spec.issuerRef, { kind: "ClusterIssuer", name: "company-ca" });
        assert.ok(!named.resources.some((r) => r.type === "kubernetes:cert-manager.io/v1:Issuer"), "no CA of its own");
    });

    it("uses a given TLS secret when configured", async () => {
        const s = await captureStack("dev", { agentState: { tls: { mode: "secret", secretName: "my-tls" } } });
        const pod = find(s, "StatefulSet", "agentstate").props.spec.template.spec;
        assert.ok(pod.volumes.some((v: any) => v.secret?.secretName === "my-tls"));
        assert.throws(() => find(s, "Certificate", "agentstate-tls"), /found 0/);
    });

    it("ships the Grafana dashboard as a labelled ConfigMap", () => {
        const cm = find(prod, "ConfigMap", "agentstate-grafana-dashboard").props;
        assert.strictEqual(cm.metadata.labels.grafana_dashboard, "1");
        const dashboard = JSON.parse(cm.data["agentstate-dashboard.json"]);
        assert.ok(dashboard.panels.some((p: any) => p.targets[0].expr.includes("watch_backlog_events")));
    });

    it("lets only the monitoring namespace reach the admin port", () => {
        const rules = find(prod, "NetworkPolicy", "agentstate").props.spec.ingress;
        const admin = rules.find((r: any) => r.ports[0].port === 9090);
        assert.deepStrictEqual(admin.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
    });
});
