import * as assert from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { START_SCRIPT, quorum, replicaServiceName } from "../components/tigerbeetle";
import { CapturedStack, captureStack, containerOf, envValue, find, ofKind, podSpec } from "./harness";

describe("TigerBeetleCluster", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("runs 1 replica in dev and 3 in prod, each with its own PVC", () => {
        for (const [stack, replicas] of [
            [dev, 1],
            [prod, 3],
        ] as const) {
            const sts = find(stack, "StatefulSet", "tigerbeetle");
            assert.strictEqual(sts.props.spec.replicas, replicas);
            const claims = sts.props.spec.volumeClaimTemplates;
            assert.deepStrictEqual(claims.map((c: any) => c.metadata.name), ["data"]);
            assert.strictEqual(claims[0].spec.resources.requests.storage, "10Gi");
            assert.deepStrictEqual(claims[0].spec.accessModes, ["ReadWriteOnce"]);
        }
        assert.strictEqual(find(prod, "StatefulSet", "tigerbeetle").props.spec.volumeClaimTemplates[0].spec.storageClassName, "fast-ssd");
    });

    it("starts all replicas in parallel and keeps their claims when scaled or deleted", () => {
        const spec = find(prod, "StatefulSet", "tigerbeetle").props.spec;
        assert.strictEqual(spec.podManagementPolicy, "Parallel");
        assert.strictEqual(spec.serviceName, "tigerbeetle-headless");
        assert.deepStrictEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
    });

    it("serves port 3000 through a headless and a client Service, ClusterIP only", () => {
        const headless = find(prod, "Service", "tigerbeetle-headless").props.spec;
        const client = find(prod, "Service", "tigerbeetle").props.spec;
        assert.strictEqual(headless.clusterIP, "None");
        assert.strictEqual(headless.publishNotReadyAddresses, true, "peers must resolve before they are ready");
        for (const svc of [headless, client]) {
            assert.strictEqual(svc.type, "ClusterIP");
            assert.deepStrictEqual(svc.ports.map((p: any) => p.port), [3000]);
        }
        for (const ing of ofKind(prod, "Ingress")) {
            for (const rule of ing.props.spec.rules) {
                for (const p of rule.http.paths) {
                    assert.notStrictEqual(p.backend.service.name, "tigerbeetle");
                }
            }
        }
    });

    it("gives each replica a ClusterIP Service of its own, selecting only that replica's pod", () => {
        const sts = find(prod, "StatefulSet", "tigerbeetle").props.spec;
        for (let i = 0; i < 3; i++) {
            const svc = find(prod, "Service", `tigerbeetle-replica-${i}`, "tigerbeetle");
            assert.strictEqual(svc.props.spec.type, "ClusterIP");
            assert.notStrictEqual(svc.props.spec.clusterIP, "None", "a headless Service has no IP of its own");
            assert.deepStrictEqual(svc.props.spec.selector, { ...sts.selector.matchLabels, "statefulset.kubernetes.io/pod-name": `tigerbeetle-${i}` });
            assert.deepStrictEqual(svc.props.spec.ports.map((p: any) => [p.port, p.targetPort]), [[3000, 3000]]);
            assert.strictEqual(svc.props.spec.publishNotReadyAddresses, true, "a starting replica is reachable by its peers");
            assert.strictEqual(svc.props.metadata.annotations["pulumi.com/skipAwait"], "true", "the StatefulSet reads the IP: the Service cannot wait for its pod");
        }
        assert.throws(() => find(prod, "Service", "tigerbeetle-replica-3"), /found 0/);
        assert.strictEqual(replicaServiceName("tb", 4), "tb-replica-4");
    });

    it("exports every replica's Service IP in replica order, and gives the replicas the same list", () => {
        const ips = [0, 1, 2].map((i) => find(prod, "Service", `tigerbeetle-replica-${i}`).props.spec.clusterIP);
        assert.ok(ips.every((ip: string) => /^10\.96\.\d+\.\d+$/.test(ip)), ips.join(","));
        assert.deepStrictEqual(prod.outputs.tigerBeetleAddresses, ips.map((ip: string) => `${ip}:3000`));
        const c = containerOf(find(prod, "StatefulSet", "tigerbeetle"), "tigerbeetle");
        assert.strictEqual(envValue(c, "ADDRESSES"), ips.map((ip: string) => `${ip}:3000`).join(","));
        assert.strictEqual(envValue(c, "HEADLESS_DOMAIN"), undefined, "replicas resolve no peer names");
    });

    it("uses cluster ID 0 in dev and a generated 128-bit ID in prod", async () => {
        assert.strictEqual(dev.outputs.tigerBeetleClusterId, "0");
        assert.strictEqual(ofKind(dev, "RandomId").length, 0);
        const [generated] = ofKind(prod, "RandomId");
        assert.strictEqual(generated.props.byteLength, 16);
        assert.strictEqual(prod.outputs.tigerBeetleClusterId, generated.props.dec);
        assert.notStrictEqual(prod.outputs.tigerBeetleClusterId, "0");
        assert.ok(BigInt(prod.outputs.tigerBeetleClusterId as string) < 1n << 128n);
    });

    it("never regenerates the cluster ID: the RandomId has no keepers and is protected", () => {
        const [generated] = ofKind(prod, "RandomId");
        assert.strictEqual(generated.props.keepers, undefined);
        assert.strictEqual(generated.protect, true);
    });

    it("records the cluster identity in an immutable ConfigMap protected from replacement in every environment", () => {
        const identity = find(prod, "ConfigMap", "tigerbeetle-cluster");
        assert.strictEqual(identity.props.immutable, true);
        assert.deepStrictEqual(identity.props.data, { clusterId: prod.outputs.tigerBeetleClusterId, replicaCount: "3" });
        assert.strictEqual(identity.protect, true);
        assert.strictEqual(find(prod, "StatefulSet", "tigerbeetle").protect, true);
        assert.strictEqual(find(dev, "ConfigMap", "tigerbeetle-cluster").protect, true);
        assert.strictEqual(find(dev, "StatefulSet", "tigerbeetle").protect, false);
    });

    it("passes the cluster ID and replica count to every replica", () => {
        const c = containerOf(find(prod, "StatefulSet", "tigerbeetle"), "tigerbeetle");
        assert.strictEqual(envValue(c, "CLUSTER_ID"), prod.outputs.tigerBeetleClusterId);
        assert.strictEqual(envValue(c, "REPLICA_COUNT"), "3");
        assert.strictEqual(envValue(c, "CACHE_GRID"), "1GiB");
    });

    it("has a PDB in prod that never allows losing quorum", () => {
        const pdb = find(prod, "PodDisruptionBudget", "tigerbeetle").props.spec;
        assert.strictEqual(pdb.minAvailable, 2);
        assert.deepStrictEqual(pdb.selector.matchLabels, find(prod, "StatefulSet", "tigerbeetle").props.spec.selector.matchLabels);
        assert.deepStrictEqual([1, 3, 5].map(quorum), [1, 2, 3]);
        assert.strictEqual(pdb.maxUnavailable, undefined, "minAvailable alone governs evictions");
        assert.throws(() => find(dev, "PodDisruptionBudget", "tigerbeetle"), /found 0/, "a single replica has nothing to keep");
    });

    it("keeps quorum with 5 replicas too", async () => {
        const five = await captureStack("prod", { tigerbeetle: { replicas: 5 } });
        assert.strictEqual(find(five, "PodDisruptionBudget", "tigerbeetle").props.spec.minAvailable, 3);
        assert.strictEqual((five.outputs.tigerBeetleAddresses as string[]).length, 5);
        assert.strictEqual(ofKind(five, "Service").filter((s) => s.props.spec.selector["statefulset.kubernetes.io/pod-name"]).length, 5);
    });

    it("checks replicas over TCP for startup, readiness and liveness", () => {
        const c = containerOf(find(prod, "StatefulSet", "tigerbeetle"), "tigerbeetle");
        for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(probe.tcpSocket, { port: 3000 });
        }
    });

    it("confines seccomp Unconfined to the TigerBeetle pods and their namespace", () => {
        const tb = podSpec(find(prod, "StatefulSet", "tigerbeetle"));
        assert.deepStrictEqual(tb.securityContext.seccompProfile, { type: "Unconfined" });
        for (const sts of [...ofKind(prod, "StatefulSet"), ...ofKind(prod, "Deployment")]) {
            if (sts.props.metadata.name !== "tigerbeetle") {
                assert.deepStrictEqual(podSpec(sts).securityContext.seccompProfile, { type: "RuntimeDefault" }, sts.props.metadata.name);
            }
        }
        const namespaces = ofKind(prod, "Namespace").filter((n) => n.props.metadata.labels["pod-security.kubernetes.io/enforce"] !== "restricted");
        assert.deepStrictEqual(namespaces.map((n) => n.props.metadata.name), ["tigerbeetle"]);
    });

    it("pins the image to a release, never latest", () => {
        const c = containerOf(find(dev, "StatefulSet", "tigerbeetle"), "tigerbeetle");
        assert.strictEqual(c.image, "ghcr.io/tigerbeetle/tigerbeetle:0.16.68");
    });

    it("admits only its peers and the connector namespace on 3000", () => {
        const np = find(prod, "NetworkPolicy", "tigerbeetle", "tigerbeetle").props.spec;
        const from = np.ingress[0].from;
        assert.deepStrictEqual(np.ingress[0].ports, [{ protocol: "TCP", port: 3000 }]);
        assert.ok(from.some((p: any) => p.podSelector?.matchLabels["app.kubernetes.io/name"] === "tigerbeetle"));
        assert.ok(from.some((p: any) => p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "m2m-connector"));
        assert.strictEqual(from.length, 2);
    });

    it("marks the cluster formed only after the StatefulSet, and mounts the marker optionally", () => {
        for (const stack of [dev, prod]) {
            const sts = find(stack, "StatefulSet", "tigerbeetle");
            const formed = find(stack, "ConfigMap", "tigerbeetle-formed");
            assert.ok(formed.dependencies.includes(sts.urn), "created once the replicas are ready");
            assert.strictEqual(formed.props.immutable, true);
            const volume = podSpec(sts).volumes.find((v: any) => v.name === "formed");
            assert.deepStrictEqual(volume.configMap, { name: "tigerbeetle-formed", optional: true });
            assert.ok(containerOf(sts, "tigerbeetle").volumeMounts.some((m: any) => m.name === "formed" && m.mountPath === "/formed" && m.readOnly));
        }
    });

    describe("start script", function () {
        this.timeout(30000);
        let dir: string;
        let bin: string;

        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-start-"));
            bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            fs.mkdirSync(path.join(dir, "data"));
            fs.writeFileSync(path.join(dir, "start.sh"), START_SCRIPT);
            // A stand-in tigerbeetle that records its arguments and creates the data file.
            fs.writeFileSync(
                path.join(bin, "tigerbeetle"),
                `#!/bin/sh\necho "$@" >> "${dir}/calls"\nif [ "$1" = format ] || [ "$1" = recover ]; then for a; do last="$a"; done; : > "$last"; fi\n`,
                { mode: 0o755 },
            );
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        const ADDRESSES = "10.96.0.10:3000,10.96.0.11:3000,10.96.0.12:3000";

        /** The replica's environment as the StatefulSet sets it, pointing at the stand-ins. */
        function replicaEnv(env: Record<string, string>): NodeJS.ProcessEnv {
            return {
                PATH: `${bin}:${process.env.PATH}`,
                DATA_DIR: path.join(dir, "data"),
                TIGERBEETLE_BIN: path.join(bin, "tigerbeetle"),
                FORMED_DIR: path.join(dir, "formed"),
                CLUSTER_ID: "42",
                REPLICA_COUNT: "3",
                ADDRESSES,
                PORT: "3000",
                CACHE_GRID: "256MiB",
                ...env,
            };
        }

        function run(env: Record<string, string>) {
            return spawnSync("sh", [path.join(dir, "start.sh")], { env: replicaEnv(env), encoding: "utf8" });
        }
        const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

        it("formats the data file named {cluster}_{replica} on first start only", () => {
            const first = run({ POD_NAME: "tigerbeetle-1" });
            assert.strictEqual(first.status, 0, first.stderr);
            const data = path.join(dir, "data", "42_1.tigerbeetle");
            assert.deepStrictEqual(calls()[0].split(" "), ["format", "--cluster=42", "--replica=1", "--replica-count=3", `${data}.partial`]);
            assert.ok(fs.existsSync(data));
            const second = run({ POD_NAME: "tigerbeetle-1" });
            assert.strictEqual(second.status, 0, second.stderr);
            assert.strictEqual(calls().filter((c) => c.startsWith("format")).length, 1, "never reformats");
        });

        it("recovers, never formats, a replica that lost its data file once the cluster has formed", () => {
            fs.mkdirSync(path.join(dir, "formed"));
            fs.writeFileSync(path.join(dir, "formed", "clusterId"), "42");
            const r = run({ POD_NAME: "tigerbeetle-1" });
            assert.strictEqual(r.status, 0, r.stderr);
            const data = path.join(dir, "data", "42_1.tigerbeetle");
            assert.deepStrictEqual(calls()[0].split(" "), [
                "recover",
                "--cluster=42",
                "--addresses=10.96.0.10:3000,0.0.0.0:3000,10.96.0.12:3000",
                "--replica=1",
                "--replica-count=3",
                `${data}.partial`,
            ]);
            assert.ok(!calls().some((c) => c.startsWith("format")));
            assert.ok(fs.existsSync(data));
            assert.ok(calls()[1].startsWith("start "));
        });

        it("refuses to format a lost single replica once the cluster has formed: it has no peer to recover from", () => {
            fs.mkdirSync(path.join(dir, "formed"));
            fs.writeFileSync(path.join(dir, "formed", "clusterId"), "42");
            const r = run({ POD_NAME: "tigerbeetle-0", REPLICA_COUNT: "1", ADDRESSES: "10.96.0.10:3000" });
            assert.strictEqual(r.status, 78);
            assert.match(r.stderr, /no peer to recover it from.*\n.*tigerbeetle.restoreFrom/);
            assert.ok(!fs.existsSync(path.join(dir, "calls")), "tigerbeetle was never invoked");
        });

        it("starts with every replica's Service IP in replica order, listening on its own slot", () => {
            const r = run({ POD_NAME: "tigerbeetle-1" });
            assert.strictEqual(r.status, 0, r.stderr);
            const start = calls().find((c) => c.startsWith("start"));
            assert.strictEqual(
                start,
                `start --addresses=10.96.0.10:3000,0.0.0.0:3000,10.96.0.12:3000 --cache-grid=256MiB ${path.join(dir, "data", "42_1.tigerbeetle")}`,
            );
        });

        it("restarts no replica when a peer moves: it becomes the replica process and resolves or watches nothing", async () => {
            // The stand-in records its PID: with `exec`, the script's own. A PATH without
            // getent or nslookup shows no name is looked up; a peer's new pod IP is invisible
            // behind its Service's ClusterIP, and no process is left that could restart it.
            fs.appendFileSync(path.join(bin, "tigerbeetle"), 'if [ "$1" = start ]; then echo "$$" > "' + dir + '/pid"; fi\n');
            const child = spawn("sh", [path.join(dir, "start.sh")], { env: { ...replicaEnv({ POD_NAME: "tigerbeetle-2" }), PATH: `${bin}:/usr/bin:/bin` }, stdio: "ignore" });
            const code = await new Promise((resolve) => child.on("exit", resolve));
            assert.strictEqual(code, 0);
            assert.strictEqual(fs.readFileSync(path.join(dir, "pid"), "utf8").trim(), String(child.pid), "the replica is the script's process");
            assert.doesNotMatch(START_SCRIPT, /getent|nslookup|sleep|kill/, "nothing resolves, waits for or restarts peers");
            assert.match(calls().find((c) => c.startsWith("start"))!, /--addresses=10\.96\.0\.10:3000,10\.96\.0\.11:3000,0\.0\.0\.0:3000 /);
        });

        it("refuses to start, and formats nothing, when ADDRESSES does not list every replica", () => {
            for (const ADDRESSES of ["10.96.0.10:3000,10.96.0.11:3000", "", "10.96.0.10:3000,10.96.0.11:3000,10.96.0.12:3000,10.96.0.13:3000"]) {
                const r = run({ POD_NAME: "tigerbeetle-0", ADDRESSES });
                assert.strictEqual(r.status, 78, ADDRESSES);
                assert.match(r.stderr, /ADDRESSES lists \d replica addresses .*this cluster has 3/);
            }
            assert.ok(!fs.existsSync(path.join(dir, "calls")), "tigerbeetle was never invoked");
        });

        it("refuses to start, and formats nothing, when the volume holds another cluster's data", () => {
            fs.writeFileSync(path.join(dir, "data", "7_0.tigerbeetle"), "");
            const r = run({ POD_NAME: "tigerbeetle-0" });
            assert.strictEqual(r.status, 78);
            assert.match(r.stderr, /cluster ID is immutable/);
            assert.ok(!fs.existsSync(path.join(dir, "calls")), "tigerbeetle was never invoked");
        });

        it("is valid POSIX sh", () => {
            execFileSync("sh", ["-n", path.join(dir, "start.sh")]);
        });
    });
});
