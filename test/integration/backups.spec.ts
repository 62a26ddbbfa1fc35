// Backups under the real engine and provider on the local API server: the Velero Schedules
// the API server accepts, the ledger's pre-change snapshots taken before its StatefulSet is
// touched (the spec marks them readyToUse, as the snapshot controller would: no CSI driver
// runs here), and a restore that recreates the claim from a snapshot set.
import * as assert from "assert";
import * as path from "path";
import { Engine, ROOT, STACK_PREFIX, checkPrerequisites, deleteNamespaces, kubectl, kubectlJson } from "./driver";

const PREFIX = "itb-";
const LEDGER = `${PREFIX}tigerbeetle`;

interface Snapshot {
    metadata: { name: string; labels: Record<string, string> };
    spec: { source: { persistentVolumeClaimName: string } };
    status?: { readyToUse?: boolean };
}

const snapshots = () => kubectlJson<{ items: Snapshot[] }>("get", "volumesnapshots", "-n", LEDGER).items;
const ledger = () => kubectlJson("get", "statefulset", "tigerbeetle", "-n", LEDGER);
const image = (sts: any): string => sts.spec.template.spec.containers[0].image;
/** The ledger's image after the update under test (kwok's nodes pull nothing, so any tag runs). */
const NEXT_IMAGE = "ghcr.io/tigerbeetle/tigerbeetle:0.16.70";

async function until<T>(what: string, probe: () => T | undefined, seconds = 300): Promise<T> {
    for (let i = 0; i < seconds; i++) {
        const v = probe();
        if (v !== undefined) {
            return v;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

describe("backups, on the real engine", function () {
    const engine = new Engine();
    const stack = `${STACK_PREFIX}backups`;
    const config = (extra: Record<string, unknown> = {}) => ({
        namespacePrefix: PREFIX,
        backups: { enabled: true, snapshotClass: "local-snapshots", veleroNamespace: "velero" },
        ...extra,
    });
    let set: string;

    before(() => {
        checkPrerequisites();
        kubectl("apply", "--server-side", "-f", path.join(ROOT, "test/cluster/backup-crds.yaml"));
        kubectl("wait", "--for=condition=Established", "crd/schedules.velero.io", "crd/volumesnapshots.snapshot.storage.k8s.io", "--timeout=60s");
        if (!kubectlJson("get", "namespaces").items.some((n: { metadata: { name: string } }) => n.metadata.name === "velero")) {
            kubectl("create", "namespace", "velero");
        }
        deleteNamespaces(PREFIX);
        engine.writeStack(stack, "dev", config());
    });
    after(() => {
        engine.driver("destroy", stack);
        engine.cleanup();
        deleteNamespaces(PREFIX);
        const schedules = kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "schedules.velero.io", "-n", "velero").items.filter((s) => s.metadata.name.startsWith(PREFIX));
        if (schedules.length) {
            kubectl("delete", "schedules.velero.io", "-n", "velero", ...schedules.map((s) => s.metadata.name));
        }
    });

    it("creates a Velero Schedule for every namespace holding data, and no snapshot on the first up", () => {
        const r = engine.driver("up", stack);
        assert.strictEqual(r.code, 0, r.output);
        const schedules = kubectlJson<{ items: { metadata: { name: string }; spec: any }[] }>("get", "schedules.velero.io", "-n", "velero").items.filter((s) => s.metadata.name.startsWith(PREFIX));
        assert.deepStrictEqual(schedules.map((s) => s.metadata.name).sort(), [`${PREFIX}agentstate`, `${PREFIX}client-a`, `${PREFIX}my-agent`, LEDGER].sort());
        for (const s of schedules) {
            assert.deepStrictEqual(s.spec.template.includedNamespaces, [s.metadata.name]);
            assert.strictEqual(s.spec.template.snapshotVolumes, true);
        }
        assert.deepStrictEqual(snapshots(), []);
        const record = JSON.parse(engine.pulumi(["stack", "output", "tigerBeetleSnapshots", "--json", "--stack", stack]));
        assert.match(record.templateHash, /^[0-9a-f]{10}$/);
        assert.deepStrictEqual(record.sets, []);
        assert.ok(kubectlJson("get", "configmap", "tigerbeetle-formed", "-n", LEDGER).data.clusterId, "the cluster is marked formed once its StatefulSet is ready");
    });

    it("snapshots the ledger's claim before an image change, and updates the StatefulSet only once the snapshot is ready", async () => {
        const before = ledger();
        engine.writeStack(stack, "dev", config({ tigerbeetle: { replicas: 1, clusterId: "0", image: NEXT_IMAGE } }));
        const up = engine.driverAsync("up", stack);
        const snap = await until("the pre-change VolumeSnapshot", () => snapshots()[0]);
        assert.strictEqual(snap.spec.source.persistentVolumeClaimName, "data-tigerbeetle-0");
        set = snap.metadata.labels["m2m.platform/snapshot-set"];
        assert.match(set, /^tigerbeetle-1r-0001-[0-9a-f]{8}$/);
        assert.strictEqual(snap.metadata.name, `${set}-0`);
        // The engine waits on readyToUse: the StatefulSet is untouched meanwhile.
        await new Promise((r) => setTimeout(r, 10000));
        const waiting = ledger();
        assert.strictEqual(waiting.metadata.generation, before.metadata.generation, "not updated before the snapshot is ready");
        assert.strictEqual(image(waiting), image(before));
        kubectl("patch", "volumesnapshot", snap.metadata.name, "-n", LEDGER, "--subresource=status", "--type=merge", "-p", '{"status":{"readyToUse":true}}');
        const code = await up.exited;
        assert.strictEqual(code, 0, up.output());
        assert.strictEqual(image(ledger()), NEXT_IMAGE);
        const record = JSON.parse(engine.pulumi(["stack", "output", "tigerBeetleSnapshots", "--json", "--stack", stack]));
        assert.deepStrictEqual(record.sets, [set]);
    });

    it("takes no snapshot on an up that leaves the template as it is", () => {
        const r = engine.driver("up", stack);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.summary, /^No changes\.$/m, r.summary);
        assert.deepStrictEqual(snapshots().map((s) => s.metadata.name), [`${set}-0`]);
    });

    it("restores the ledger's claim from the snapshot set, created before the StatefulSet", () => {
        const old = kubectlJson("get", "pvc", "data-tigerbeetle-0", "-n", LEDGER).metadata.uid;
        kubectl("delete", "statefulset", "tigerbeetle", "-n", LEDGER, "--wait=true");
        kubectl("delete", "pvc", "data-tigerbeetle-0", "-n", LEDGER, "--wait=true");
        engine.writeStack(stack, "dev", config({ tigerbeetle: { replicas: 1, clusterId: "0", image: NEXT_IMAGE, restoreFrom: set } }));
        const refresh = engine.driver("refresh", stack);
        assert.strictEqual(refresh.code, 0, refresh.output);
        const r = engine.driver("up", stack);
        assert.strictEqual(r.code, 0, r.output);
        const claim = kubectlJson("get", "pvc", "data-tigerbeetle-0", "-n", LEDGER);
        assert.notStrictEqual(claim.metadata.uid, old);
        assert.deepStrictEqual(claim.spec.dataSource, { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: `${set}-0` });
        const sts = ledger();
        assert.strictEqual(sts.status.readyReplicas, 1, "the replica runs on the restored claim");
        assert.ok(Date.parse(sts.metadata.creationTimestamp) >= Date.parse(claim.metadata.creationTimestamp), "the claim was created first");
    });

    it("keeps the restored claim when the setting is removed again", () => {
        const uid = kubectlJson("get", "pvc", "data-tigerbeetle-0", "-n", LEDGER).metadata.uid;
        engine.writeStack(stack, "dev", config({ tigerbeetle: { replicas: 1, clusterId: "0", image: NEXT_IMAGE } }));
        const r = engine.driver("up", stack);
        assert.strictEqual(r.code, 0, r.output);
        assert.strictEqual(kubectlJson("get", "pvc", "data-tigerbeetle-0", "-n", LEDGER).metadata.uid, uid);
    });
});
