import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ADMIN_CAP_KEY, ADMIN_CAP_SECRET, SNAPSHOT_SCRIPT, restoreJobName } from "../components/ops/agentStateSnapshots";
import { CapturedStack, captureStack, containerOf, find, isSecretAt, ofKind, rejectsConfig, stackConfig } from "./harness";
import { loadConfig, runPack, show } from "../policy/test/run";

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

    it("lets only the monitoring namespace and, in prod, the snapshot pods reach the admin port", () => {
        const peers = (st: CapturedStack) =>
            find(st, "NetworkPolicy", "agentstate")
                .props.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 9090))
                .flatMap((r: any) => r.from);
        const monitoring = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
        assert.deepStrictEqual(peers(dev), [monitoring]);
        assert.deepStrictEqual(peers(prod), [monitoring, { podSelector: { matchLabels: SNAPSHOT_POD } }]);
    });
});

/** The selector labels of the snapshot CronJob's pods. */
const SNAPSHOT_POD = { "app.kubernetes.io/name": "agentstate-snapshot", "app.kubernetes.io/instance": "agentstate" };
const cronJobs = (s: CapturedStack) => ofKind(s, "CronJob");
const restoreJobs = (s: CapturedStack) => ofKind(s, "Job");
const snapshotPod = (s: CapturedStack) => find(s, "CronJob", "agentstate-snapshot").props.spec.jobTemplate.spec.template;

describe("AgentState snapshots through the admin API", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("are off in dev: no CronJob, no admin capability", () => {
        assert.deepStrictEqual(cronJobs(dev), []);
        assert.ok(!ofKind(dev, "Secret").some((s) => s.props.metadata.name === ADMIN_CAP_SECRET));
        assert.ok(!ofKind(dev, "ServiceAccount").some((s) => s.props.metadata.name === "agentstate-snapshot"));
    });

    it("run in prod daily at 01:30 UTC, one at a time, keeping 3 finished jobs of each outcome", () => {
        const cron = find(prod, "CronJob", "agentstate-snapshot", "agentstate").props.spec;
        assert.strictEqual(cron.schedule, "30 1 * * *");
        assert.strictEqual(cron.timeZone, "Etc/UTC");
        assert.strictEqual(cron.concurrencyPolicy, "Forbid");
        assert.strictEqual(cron.successfulJobsHistoryLimit, 3);
        assert.strictEqual(cron.failedJobsHistoryLimit, 3);
        assert.strictEqual(cron.jobTemplate.spec.template.spec.restartPolicy, "Never");
    });

    it("take schedule and history limits from config", async () => {
        const s = await captureStack("prod", { agentState: { snapshots: { schedule: "0 */6 * * *", successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 5 } } });
        const cron = find(s, "CronJob", "agentstate-snapshot").props.spec;
        assert.deepStrictEqual([cron.schedule, cron.successfulJobsHistoryLimit, cron.failedJobsHistoryLimit], ["0 */6 * * *", 1, 5]);
    });

    it("run under a ServiceAccount of their own that mounts no token", () => {
        const sa = find(prod, "ServiceAccount", "agentstate-snapshot").props;
        assert.strictEqual(sa.automountServiceAccountToken, false);
        const pod = snapshotPod(prod).spec;
        assert.strictEqual(pod.serviceAccountName, "agentstate-snapshot");
        assert.strictEqual(pod.automountServiceAccountToken, false);
    });

    it("read the admin capability from a Secret: a token signed with the active CAP key that the server accepts", () => {
        const secret = find(prod, "Secret", ADMIN_CAP_SECRET).props;
        assert.ok(isSecretAt(find(prod, "Secret", ADMIN_CAP_SECRET), `stringData.${ADMIN_CAP_KEY}`));
        const token: string = secret.stringData[ADMIN_CAP_KEY];
        const [kid, payload, sig] = token.split(".");
        assert.strictEqual(kid, "prod-2026-11", "the active key's id");
        assert.deepStrictEqual(JSON.parse(Buffer.from(payload, "base64url").toString()), { ns: ["admin://global"], verbs: ["admin"] });
        const active = (prod.outputs.capKeys as { active: string }).active;
        assert.strictEqual(sig, createHmac("sha256", active).update(Buffer.from(payload, "base64url")).digest("base64url"));
        const env = containerOf({ props: { spec: { template: snapshotPod(prod) } } } as any, "snapshot").env;
        assert.deepStrictEqual(env.find((e: any) => e.name === ADMIN_CAP_KEY).valueFrom, { secretKeyRef: { name: ADMIN_CAP_SECRET, key: ADMIN_CAP_KEY } });
    });

    it("never put the capability in plaintext: not in the CronJob, a ConfigMap or a stack output", () => {
        const token: string = find(prod, "Secret", ADMIN_CAP_SECRET).props.stringData[ADMIN_CAP_KEY];
        const signature = token.split(".")[2];
        for (const r of [...cronJobs(prod), ...ofKind(prod, "ConfigMap")]) {
            assert.ok(!JSON.stringify(r.props).includes(signature), `${r.type} ${r.name}`);
        }
        assert.ok(!JSON.stringify(prod.outputs).includes(signature));
    });

    it("re-sign the capability when the keys rotate", async () => {
        const rotated = await captureStack("prod", { agentState: { capKeys: { activeId: "prod-2027-02", nextId: "prod-2027-05" } } });
        const token: string = find(rotated, "Secret", ADMIN_CAP_SECRET).props.stringData[ADMIN_CAP_KEY];
        assert.strictEqual(token.split(".")[0], "prod-2027-02");
        assert.notStrictEqual(token, find(prod, "Secret", ADMIN_CAP_SECRET).props.stringData[ADMIN_CAP_KEY]);
    });

    it("call the service over TLS in prod, trusting only the CA certificate of AgentState's own CA", () => {
        const pod = snapshotPod(prod).spec;
        const env = Object.fromEntries(pod.containers[0].env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.AGENTSTATE_ADMIN_URL, "https://agentstate.agentstate.svc:9090", "a name the service certificate carries");
        assert.strictEqual(env.CA_FILE, "/etc/agentstate-ca/ca.crt");
        const ca = pod.volumes.find((v: any) => v.name === "ca");
        assert.deepStrictEqual(ca.secret, { secretName: "agentstate-ca", items: [{ key: "ca.crt", path: "ca.crt" }] }, "never the CA's key");
        assert.deepStrictEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === "ca"), { name: "ca", mountPath: "/etc/agentstate-ca", readOnly: true });
    });

    it("trust the issuer's CA from the service certificate's Secret with a named ClusterIssuer, and use HTTP without TLS", async () => {
        const issued = await captureStack("prod", { agentState: { tls: { mode: "certManager", issuer: "company-ca" } } });
        assert.strictEqual(snapshotPod(issued).spec.volumes.find((v: any) => v.name === "ca").secret.secretName, "agentstate-tls");
        const plain = await captureStack("prod", { agentState: { tls: { mode: "none" } } });
        const pod = snapshotPod(plain).spec;
        assert.strictEqual(pod.containers[0].env.find((e: any) => e.name === "AGENTSTATE_ADMIN_URL").value, "http://agentstate.agentstate.svc:9090");
        assert.ok(!pod.containers[0].env.some((e: any) => e.name === "CA_FILE"));
        assert.ok(!pod.volumes.some((v: any) => v.name === "ca"));
    });

    it("are admitted by the server's network policy by their pod labels, and may reach only the server's admin port", () => {
        assert.deepStrictEqual(
            Object.fromEntries(Object.entries(snapshotPod(prod).metadata.labels).filter(([k]) => k in SNAPSHOT_POD)),
            SNAPSHOT_POD,
            "the labels the server's policy admits are the pods' own",
        );
        const rule = find(prod, "NetworkPolicy", "agentstate").props.spec.ingress.find((r: any) => r.from.some((p: any) => p.podSelector));
        assert.deepStrictEqual(rule, { from: [{ podSelector: { matchLabels: SNAPSHOT_POD } }], ports: [{ protocol: "TCP", port: 9090 }] });
        const own = find(prod, "NetworkPolicy", "agentstate-snapshot").props.spec;
        assert.deepStrictEqual(own.podSelector, { matchLabels: SNAPSHOT_POD });
        assert.deepStrictEqual(own.ingress, []);
        assert.deepStrictEqual(own.egress, [
            {
                to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "agentstate", "app.kubernetes.io/instance": "agentstate" } } }],
                ports: [{ protocol: "TCP", port: 9090 }],
            },
        ]);
    });

    it("follow the admin port when it is set (the guide's curl examples use 8080)", async () => {
        const s = await captureStack("prod", { agentState: { snapshots: { port: 8080 } } });
        assert.match(snapshotPod(s).spec.containers[0].env.find((e: any) => e.name === "AGENTSTATE_ADMIN_URL").value, /:8080$/);
        const rule = find(s, "NetworkPolicy", "agentstate").props.spec.ingress.find((r: any) => r.from.some((p: any) => p.podSelector));
        assert.deepStrictEqual(rule.ports, [{ protocol: "TCP", port: 8080 }]);
        assert.deepStrictEqual(find(s, "NetworkPolicy", "agentstate-snapshot").props.spec.egress[0].ports, [{ protocol: "TCP", port: 8080 }]);
    });

    it("trim the WAL only when trimWal is set", async () => {
        const trimEnv = (s: CapturedStack) => snapshotPod(s).spec.containers[0].env.find((e: any) => e.name === "TRIM_WAL").value;
        assert.strictEqual(trimEnv(prod), "false");
        assert.strictEqual(trimEnv(await captureStack("prod", { agentState: { snapshots: { trimWal: true } } })), "true");
    });

    it("run curl from a pinned image, configurable", async () => {
        assert.strictEqual(snapshotPod(prod).spec.containers[0].image, "docker.io/curlimages/curl:8.11.1");
        const s = await captureStack("prod", { agentState: { snapshots: { image: "registry.example.com/mirror/curl:8.11.1" } } });
        assert.strictEqual(snapshotPod(s).spec.containers[0].image, "registry.example.com/mirror/curl:8.11.1");
    });

    it("can be turned on in dev", async () => {
        const s = await captureStack("dev", { agentState: { snapshots: { enabled: true } } });
        assert.strictEqual(cronJobs(s).length, 1);
        assert.match(snapshotPod(s).spec.containers[0].env.find((e: any) => e.name === "AGENTSTATE_ADMIN_URL").value, /^http:\/\/agentstate\.agentstate\.svc:9090$/);
    });

    describe("the job's script, under a real sh with curl stubbed", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstate-snapshot-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "script.sh"), SNAPSHOT_SCRIPT);
            // The stub records its arguments and the headers it read from stdin, one call a line,
            // and answers as the server does (RESPONSE, or TRIM_RESPONSE for trim-wal).
            fs.writeFileSync(
                path.join(dir, "bin", "curl"),
                `#!/bin/sh\necho "$*" >> "${dir}/argv"\ncat >> "${dir}/headers"\nfor a; do url="$a"; done\ncase "$url" in *trim-wal*) printf '%s' "$TRIM_RESPONSE";; *) printf '%s' "$RESPONSE";; esac\nexit "\${CURL_EXIT:-0}"\n`,
                { mode: 0o755 },
            );
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));
        beforeEach(() => {
            for (const f of ["argv", "headers"]) {
                fs.rmSync(path.join(dir, f), { force: true });
            }
        });

        const run = (env: Record<string, string>) =>
            spawnSync("sh", [path.join(dir, "script.sh")], {
                encoding: "utf8",
                env: {
                    PATH: `${dir}/bin:/usr/bin:/bin`,
                    ADMIN_CAP: "kid.payload.signature",
                    AGENTSTATE_ADMIN_URL: "https://agentstate.agentstate.svc:9090",
                    CA_FILE: "/etc/agentstate-ca/ca.crt",
                    RESPONSE: '{"snapshot_id": "snap-01HQXVGZM8", "commit_seq": 12345}',
                    TRIM_RESPONSE: '{"deleted": 3}',
                    ...env,
                },
            });
        const calls = () => fs.readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");

        it("is valid POSIX sh", () => {
            execFileSync("sh", ["-n", path.join(dir, "script.sh")]);
        });

        it("POSTs /admin/snapshot over TLS with the CA, prints the snapshot id, and does not trim by default", () => {
            const r = run({ TRIM_WAL: "false" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^snapshot_id=snap-01HQXVGZM8$/m);
            assert.deepStrictEqual(calls().length, 1);
            assert.match(calls()[0], /--cacert \/etc\/agentstate-ca\/ca\.crt .*-X POST -H @- https:\/\/agentstate\.agentstate\.svc:9090\/admin\/snapshot$/);
        });

        it("sends the capability as a header read from stdin, never on the command line or in its output", () => {
            const r = run({ TRIM_WAL: "true" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(path.join(dir, "headers"), "utf8"), "Authorization: Bearer kid.payload.signature\n".repeat(2));
            assert.ok(!fs.readFileSync(path.join(dir, "argv"), "utf8").includes("signature"));
            assert.ok(!(r.stdout + r.stderr).includes("signature"));
        });

        it("trims the WAL up to the snapshot just taken with TRIM_WAL=true", () => {
            const r = run({ TRIM_WAL: "true" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(calls()[1], /\/admin\/trim-wal\?snapshot_id=snap-01HQXVGZM8$/);
            assert.match(r.stdout, /wal trimmed up to snap-01HQXVGZM8/);
        });

        it("fails the job when the server refuses, or answers without a snapshot id, and then trims nothing", () => {
            const refused = run({ TRIM_WAL: "true", CURL_EXIT: "22", RESPONSE: '{"error":"bad sig"}' });
            assert.notStrictEqual(refused.status, 0);
            assert.match(refused.stderr, /POST \/admin\/snapshot failed: \{"error":"bad sig"\}/);
            assert.strictEqual(calls().length, 1, "no trim after a refused snapshot");
            fs.rmSync(path.join(dir, "argv"));
            const empty = run({ TRIM_WAL: "true", RESPONSE: "{}" });
            assert.notStrictEqual(empty.status, 0);
            assert.match(empty.stderr, /without a snapshot_id/);
            assert.strictEqual(calls().length, 1, "no trim without a snapshot id");
        });

        it("calls plain HTTP without a CA file", () => {
            const r = run({ CA_FILE: "", AGENTSTATE_ADMIN_URL: "http://agentstate.agentstate.svc:9090" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.ok(!calls()[0].includes("--cacert"));
        });
    });
});

describe("AgentState restore from a snapshot", () => {
    const SNAP = "snap-01HQXVGZM8ABCDEF";
    let prod: CapturedStack;
    let restoring: CapturedStack;
    before(async () => {
        prod = await captureStack("prod");
        restoring = await captureStack("prod", { agentState: { restore: { snapshotId: SNAP } } });
    });

    it("is no Job unless a snapshot is named", () => {
        assert.deepStrictEqual(restoreJobs(prod), []);
    });

    it("runs the CLI's restore --data-dir /data --snapshot-id on the server's claim", () => {
        const [job] = restoreJobs(restoring);
        assert.strictEqual(job.props.metadata.name, restoreJobName(SNAP));
        assert.strictEqual(job.props.metadata.annotations["m2m-platform/snapshot-id"], SNAP);
        const pod = job.props.spec.template.spec;
        const c = pod.containers[0];
        assert.deepStrictEqual(c.args, ["restore", "--data-dir", "/data", "--snapshot-id", SNAP]);
        assert.strictEqual(c.image, "ghcr.io/agentstate/agentstate-cli:v0.1.0-rc.1", "the CLI of the server's release");
        const sts = find(restoring, "StatefulSet", "agentstate").props;
        // The claim the StatefulSet's pod 0 gets: <claim template>-<StatefulSet>-0.
        const claim = `${sts.spec.volumeClaimTemplates[0].metadata.name}-${sts.metadata.name}-0`;
        assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === "data"), { name: "data", persistentVolumeClaim: { claimName: claim } });
        assert.strictEqual(claim, "data-agentstate-0");
        assert.deepStrictEqual(c.volumeMounts.find((m: any) => m.name === "data"), { name: "data", mountPath: "/data" });
    });

    it("comes before the StatefulSet, which waits for it", () => {
        const [job] = restoreJobs(restoring);
        assert.ok(find(restoring, "StatefulSet", "agentstate").dependencies.includes(job.urn));
        assert.ok(!find(prod, "StatefulSet", "agentstate").dependencies.some((u) => u.includes("Job")));
    });

    it("never runs beside a server pod (the claim is ReadWriteOnce: one node, not one pod), never retries and never deletes itself", () => {
        const spec = restoreJobs(restoring)[0].props.spec;
        assert.deepStrictEqual(spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, [
            { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "agentstate", "app.kubernetes.io/instance": "agentstate" } } },
        ]);
        assert.strictEqual(spec.backoffLimit, 0);
        assert.strictEqual(spec.template.spec.restartPolicy, "Never");
        assert.strictEqual(spec.ttlSecondsAfterFinished, undefined, "a Job that vanished would be created, and restore, again");
    });

    it("is isolated by a network policy of its own: nothing reaches the restore pod, and it reaches nothing", () => {
        const policy = find(restoring, "NetworkPolicy", "agentstate-restore").props.spec;
        assert.deepStrictEqual(policy.podSelector, { matchLabels: { "app.kubernetes.io/name": "agentstate-restore", "app.kubernetes.io/instance": "agentstate" } });
        assert.deepStrictEqual([policy.policyTypes, policy.ingress, policy.egress], [["Ingress", "Egress"], [], []]);
    });

    it("passes every policy of the pack under policy/config/prod.json", async () => {
        const resources = restoring.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.protect }));
        const violations = await runPack(resources, loadConfig("prod"));
        assert.deepStrictEqual(violations, [], show(violations));
    });

    it("is a Job resource of its own per snapshot id, so another id restores with its own arguments", async () => {
        const other = await captureStack("prod", { agentState: { restore: { snapshotId: "snap-01HQXVGZM8OTHER" } } });
        const [a, b] = [restoreJobs(restoring)[0], restoreJobs(other)[0]];
        assert.notStrictEqual(a.name, b.name);
        assert.deepStrictEqual(b.props.spec.template.spec.containers[0].args.slice(-1), ["snap-01HQXVGZM8OTHER"]);
    });

    it("takes a CLI image of its own when set", async () => {
        const s = await captureStack("prod", { agentState: { restore: { snapshotId: SNAP, image: "registry.example.com/agentstate-cli:v0.1.0-rc.1" } } });
        assert.strictEqual(restoreJobs(s)[0].props.spec.template.spec.containers[0].image, "registry.example.com/agentstate-cli:v0.1.0-rc.1");
    });

    it("is removed with the setting, and nothing else changes: the StatefulSet, its claim template and its protection stay", () => {
        // Each capture is a stack of its own: compare resources by type and name.
        const names = (s: CapturedStack) => new Set(s.resources.map((r) => `${r.type}::${r.name}`));
        const removed = [...names(restoring)].filter((n) => !names(prod).has(n));
        assert.deepStrictEqual(
            removed.sort(),
            [`kubernetes:batch/v1:Job::${restoreJobName(SNAP)}`, "kubernetes:networking.k8s.io/v1:NetworkPolicy::agentstate-restore-netpol"],
            "removing the setting deletes the Job and its network policy alone",
        );
        assert.ok([...names(prod)].every((n) => names(restoring).has(n)));
        const sts = (s: CapturedStack) => find(s, "StatefulSet", "agentstate");
        assert.deepStrictEqual(sts(prod).props, sts(restoring).props);
        assert.strictEqual(sts(prod).protect, true);
    });
});

describe("AgentState snapshot and restore config", () => {
    it("names the key of an invalid cron schedule", () => {
        rejects({ snapshots: { schedule: "0 25 * * *" } }, "agentState.snapshots.schedule", /not a cron schedule: hour field "25" is out of range/);
        rejects({ snapshots: { schedule: "daily" } }, "agentState.snapshots.schedule", /has 1 fields/);
    });

    it("refuses an empty or malformed snapshot id", () => {
        rejects({ restore: { snapshotId: "" } }, "agentState.restore.snapshotId", /is empty/);
        rejects({ restore: { snapshotId: "  " } }, "agentState.restore.snapshotId", /is empty/);
        rejects({ restore: { snapshotId: "snap 1; rm -rf /" } }, "agentState.restore.snapshotId", /is not a snapshot id/);
        rejects({ restore: { snapshotId: 42 } }, "agentState.restore.snapshotId", /not a string/);
    });

    it("asks for the CLI image when the server image is a build", () => {
        rejects({ image: { context: "../agentstate", tag: "v1" }, restore: { snapshotId: "snap-1" } }, "agentState.restore.image", /is required when the server image is a build/);
    });

    it("refuses an unpinned snapshot image in prod, and a limit below zero", () => {
        rejects({ snapshots: { image: "docker.io/curlimages/curl:latest" } }, "agentState.snapshots.image", /mutable tag/);
        rejects({ snapshots: { failedJobsHistoryLimit: -1 } }, "agentState.snapshots.failedJobsHistoryLimit", /./);
    });

    it("reads the settings, and no snapshots when off", () => {
        assert.strictEqual(stackConfig("dev").agentState.snapshots, undefined);
        assert.deepStrictEqual(stackConfig("prod").agentState.snapshots, {
            schedule: "30 1 * * *",
            trimWal: false,
            port: 9090,
            image: "docker.io/curlimages/curl:8.11.1",
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            periodSeconds: 86_400,
        });
        assert.strictEqual(stackConfig("prod").agentState.restore, undefined);
    });
});

/** The prod stack with `agentState` overrides is rejected, with a problem naming `key` that matches `message`. */
const rejects = (agentState: Record<string, unknown>, key: string, message: RegExp) => rejectsConfig("prod", { agentState }, key, message);
