import * as assert from "assert";
import { SnapshotHistory, nextSnapshotHistory } from "../components/backups";
import { CapturedStack, PROD_SECRETS, captureStack, find, label, ofKind, rejectsConfig } from "./harness";

/** The namespaces whose claims hold data in the prod stack: the ledger, AgentState, PostgreSQL, each tenant. */
const PROD_DATA = ["agentstate", "client-a", "client-b", "my-agent", "tigerbeetle"];

const rejects = (overrides: Record<string, unknown>, key: string, message: RegExp, stack = "prod") => rejectsConfig(stack, overrides, key, message);

const snapshotsOf = (s: CapturedStack) => ofKind(s, "VolumeSnapshot");
const ledgerHash = (s: CapturedStack) => (s.outputs.tigerBeetleSnapshots as SnapshotHistory).templateHash;

describe("scheduled backups", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("are off in dev: no Schedule, no snapshot, no record", () => {
        assert.deepStrictEqual(ofKind(dev, "Schedule"), []);
        assert.deepStrictEqual(snapshotsOf(dev), []);
        assert.strictEqual(dev.outputs.tigerBeetleSnapshots, undefined);
    });

    it("give every namespace holding data in prod a Velero Schedule of its own, in Velero's namespace", () => {
        const schedules = ofKind(prod, "Schedule");
        assert.deepStrictEqual(schedules.map((s) => s.props.spec.template.includedNamespaces).flat().sort(), PROD_DATA);
        for (const s of schedules) {
            assert.strictEqual(s.props.metadata.namespace, "velero", label(s));
            assert.strictEqual(s.props.metadata.name, s.props.spec.template.includedNamespaces[0], "a Schedule is named after its namespace");
            assert.strictEqual(s.props.spec.schedule, "0 2 * * *");
            assert.strictEqual(s.props.spec.template.snapshotVolumes, true);
            assert.strictEqual(s.props.spec.template.ttl, "720h0m0s", "30 days");
            assert.strictEqual(s.props.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
        }
    });

    it("take schedule, retention and storage location from config", async () => {
        const s = await captureStack("prod", { backups: { schedule: "30 */6 * * *", retentionDays: 7, storageLocation: "offsite" } });
        const ledger = find(s, "Schedule", "tigerbeetle", "velero");
        assert.strictEqual(ledger.props.spec.schedule, "30 */6 * * *");
        assert.strictEqual(ledger.props.spec.template.ttl, "168h0m0s");
        assert.strictEqual(ledger.props.spec.template.storageLocation, "offsite");
    });

    it("leave a business logic on a managed database without a Schedule (its provider backs it up)", async () => {
        const s = await captureStack("prod", { businessLogic: { database: { mode: "external" } } }, { secrets: { businessLogicDatabaseUrl: "postgres://u:p@db.example.com/app", ...PROD_SECRETS } });
        assert.ok(!ofKind(s, "Schedule").some((x) => x.props.spec.template.includedNamespaces.includes("my-agent")));
    });

    it("watch every Schedule from its tier's alert group: failed, and overdue at twice its interval", () => {
        for (const ns of PROD_DATA) {
            const rule = ofKind(prod, "PrometheusRule").find((r) => r.props.metadata.namespace === ns);
            assert.ok(rule, `${ns} has a PrometheusRule`);
            const rules = rule.props.spec.groups[0].rules as { alert: string; expr: string }[];
            const failed = rules.find((r) => r.alert === "BackupFailed");
            const overdue = rules.find((r) => r.alert === "BackupOverdue");
            assert.ok(failed && overdue, `${ns}: both backup alerts`);
            assert.match(failed.expr, new RegExp(`velero_backup_failure_total\\{schedule="${ns}"\\}`));
            assert.match(overdue.expr, new RegExp(`velero_backup_last_successful_timestamp\\{schedule="${ns}"\\}\\[?.*> 172800$`), "2 x 24 h for a daily schedule");
        }
    });

    it("put the overdue threshold at twice the schedule's longest gap", async () => {
        const s = await captureStack("prod", { backups: { schedule: "0 3 * * 0" } });
        const rule = ofKind(s, "PrometheusRule").find((r) => r.props.metadata.namespace === "tigerbeetle");
        const overdue = rule?.props.spec.groups[0].rules.find((r: { alert: string }) => r.alert === "BackupOverdue");
        assert.match(overdue.expr, / > 1209600$/, "weekly: 2 x 7 days");
    });
});

describe("pre-change ledger snapshots", () => {
    const replicas = 3;

    it("are none on the first update, which records the template's hash", async () => {
        const first = await captureStack("prod");
        assert.deepStrictEqual(snapshotsOf(first), []);
        const record = first.outputs.tigerBeetleSnapshots as SnapshotHistory;
        assert.match(record.templateHash, /^[0-9a-f]{10}$/);
        assert.deepStrictEqual(record.sets, []);
    });

    it("are none when the template does not change", async () => {
        const first = await captureStack("prod");
        const again = await captureStack("prod", {}, { lastOutputs: { tigerBeetleSnapshots: first.outputs.tigerBeetleSnapshots } });
        assert.deepStrictEqual(snapshotsOf(again), []);
        assert.deepStrictEqual(again.outputs.tigerBeetleSnapshots, first.outputs.tigerBeetleSnapshots);
    });

    it("snapshot every replica's claim before an update that changes the template, and the StatefulSet waits for them", async () => {
        const first = await captureStack("prod");
        const changed = await captureStack("prod", { tigerbeetle: { cacheGrid: "2GiB" } }, { lastOutputs: { tigerBeetleSnapshots: first.outputs.tigerBeetleSnapshots } });
        const record = changed.outputs.tigerBeetleSnapshots as SnapshotHistory;
        assert.notStrictEqual(record.templateHash, ledgerHash(first));
        assert.strictEqual(record.sets.length, 1);
        const [set] = record.sets;
        assert.match(set, /^tigerbeetle-3r-0001-[0-9a-f]{8}$/, "named after the replica count, the change's number and the new template");
        const snaps = snapshotsOf(changed);
        assert.deepStrictEqual(snaps.map((s) => s.props.metadata.name), [0, 1, 2].map((i) => `${set}-${i}`));
        assert.deepStrictEqual(snaps.map((s) => s.props.spec.source.persistentVolumeClaimName), [0, 1, 2].map((i) => `data-tigerbeetle-${i}`));
        for (const s of snaps) {
            assert.strictEqual(s.props.metadata.namespace, "tigerbeetle");
            assert.strictEqual(s.props.spec.volumeSnapshotClassName, "csi-snapshots");
            assert.strictEqual(s.props.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.readyToUse}=true");
            assert.strictEqual(s.props.metadata.labels["m2m.platform/snapshot-set"], set);
        }
        const sts = find(changed, "StatefulSet", "tigerbeetle");
        for (const s of snaps) {
            assert.ok(sts.dependencies.includes(s.urn), `the StatefulSet waits for ${s.props.metadata.name}`);
        }
    });

    it("count image, arguments and resources as the template", async () => {
        const first = await captureStack("prod");
        const hash = ledgerHash(first);
        for (const change of [
            { image: "ghcr.io/tigerbeetle/tigerbeetle:0.16.70" },
            { cacheGrid: "2GiB" },
            { resources: { requests: { cpu: "2" } } },
        ]) {
            const s = await captureStack("prod", { tigerbeetle: change });
            assert.notStrictEqual(ledgerHash(s), hash, JSON.stringify(change));
        }
        const storage = await captureStack("prod", { storageClass: "fast-ssd" });
        assert.strictEqual(ledgerHash(storage), hash, "what is not in the pod template is not a change of it");
    });

    it("keep the configured number of sets, dropping the oldest", () => {
        let history: SnapshotHistory | undefined;
        const taken: string[] = [];
        for (const hash of ["a", "b", "c", "d", "e"]) {
            const next = nextSnapshotHistory(history, hash.repeat(10), replicas, 3);
            if (next.take) {
                taken.push(next.take);
            }
            history = next.history;
        }
        assert.strictEqual(taken.length, 4, "every change but the first update");
        assert.deepStrictEqual(history?.sets, taken.slice(-3));
        const unchanged = nextSnapshotHistory(history, "e".repeat(10), replicas, 3);
        assert.strictEqual(unchanged.take, undefined);
        assert.deepStrictEqual(unchanged.history, history);
    });

    it("take a new set when a template comes back, never reusing an old one", () => {
        const a = nextSnapshotHistory(undefined, "a".repeat(10), replicas, 3).history;
        const b = nextSnapshotHistory(a, "b".repeat(10), replicas, 3);
        const back = nextSnapshotHistory(b.history, "a".repeat(10), replicas, 3);
        const again = nextSnapshotHistory(back.history, "b".repeat(10), replicas, 3);
        assert.ok(again.take && again.take !== b.take);
    });

    it("registers the sets still kept, and only this update's gate the StatefulSet", async () => {
        const old: SnapshotHistory = { templateHash: "0000000000", seq: 4, sets: ["tigerbeetle-3r-0003-aaaaaaaa", "tigerbeetle-3r-0004-bbbbbbbb"] };
        const s = await captureStack("prod", { backups: { preChangeSnapshots: 2 } }, { lastOutputs: { tigerBeetleSnapshots: old } });
        const record = s.outputs.tigerBeetleSnapshots as SnapshotHistory;
        assert.strictEqual(record.seq, 5);
        assert.deepStrictEqual(record.sets.slice(0, 1), ["tigerbeetle-3r-0004-bbbbbbbb"]);
        const names = snapshotsOf(s).map((x) => x.props.metadata.name);
        assert.ok(!names.some((n) => n.startsWith("tigerbeetle-3r-0003-")), "the oldest set is dropped (and so deleted)");
        assert.strictEqual(names.length, 6);
        const sts = find(s, "StatefulSet", "tigerbeetle");
        const gating = snapshotsOf(s).filter((x) => sts.dependencies.includes(x.urn)).map((x) => x.props.metadata.name);
        assert.deepStrictEqual(gating, [0, 1, 2].map((i) => `${record.sets[1]}-${i}`));
    });

    it("are off with preChangeSnapshots 0: no record read or written", async () => {
        const s = await captureStack("prod", { backups: { preChangeSnapshots: 0 } });
        assert.strictEqual(s.outputs.tigerBeetleSnapshots, undefined);
        assert.ok(!s.resources.some((r) => r.type === "pulumi:pulumi:StackReference"));
    });
});

describe("restore of the ledger from a snapshot set", () => {
    const set = "tigerbeetle-3r-0002-abcdef01";
    let restored: CapturedStack;
    before(async () => {
        restored = await captureStack("prod", { tigerbeetle: { restoreFrom: set } });
    });

    it("recreates every replica's claim as the StatefulSet names it, from the snapshot of its ordinal", () => {
        const claims = ofKind(restored, "PersistentVolumeClaim");
        assert.deepStrictEqual(claims.map((c) => c.props.metadata.name), [0, 1, 2].map((i) => `data-tigerbeetle-${i}`));
        const template = find(restored, "StatefulSet", "tigerbeetle").props.spec.volumeClaimTemplates[0];
        claims.forEach((c, i) => {
            assert.strictEqual(c.props.metadata.namespace, "tigerbeetle");
            assert.deepStrictEqual(c.props.spec.dataSource, { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: `${set}-${i}` });
            assert.deepStrictEqual(c.props.spec.resources, template.spec.resources);
            assert.strictEqual(c.props.spec.storageClassName, template.spec.storageClassName);
            assert.strictEqual(c.props.metadata.annotations["pulumi.com/skipAwait"], "true", "they bind once the replicas are scheduled");
        });
    });

    it("creates them before the StatefulSet", () => {
        const sts = find(restored, "StatefulSet", "tigerbeetle");
        for (const c of ofKind(restored, "PersistentVolumeClaim")) {
            assert.ok(sts.dependencies.includes(c.urn), label(c));
        }
    });

    it("changes nothing else: the StatefulSet is the same as without the setting", async () => {
        const plain = await captureStack("prod");
        assert.deepStrictEqual(find(restored, "StatefulSet", "tigerbeetle").props, find(plain, "StatefulSet", "tigerbeetle").props);
    });
});

describe("backup config", () => {
    it("refuses an invalid cron schedule", () => {
        rejects({ backups: { schedule: "0 25 * * *" } }, "backups.schedule", /not a cron schedule: hour field "25" is out of range/);
        rejects({ backups: { schedule: "0 0 31 2 *" } }, "backups.schedule", /never runs/);
    });

    it("refuses a retention of zero or less", () => {
        rejects({ backups: { retentionDays: 0 } }, "backups.retentionDays", /at least 1|>= 1|below/);
        rejects({ backups: { retentionDays: -3 } }, "backups.retentionDays", /at least 1|>= 1|below/);
    });

    it("refuses backups on without a snapshot class", () => {
        rejects({ backups: { snapshotClass: "" } }, "backups.snapshotClass", /required/);
        rejects({ backups: { enabled: true } }, "backups.snapshotClass", /required/, "dev");
    });

    it("refuses a Velero namespace that is not a namespace name", () => {
        rejects({ backups: { veleroNamespace: "Velero_NS" } }, "backups.veleroNamespace", /./);
    });

    it("refuses a restore from a set of another replica count, or from something that is not a set", () => {
        rejects({ tigerbeetle: { restoreFrom: "tigerbeetle-1r-0001-abcdef01" } }, "tigerbeetle.restoreFrom", /holds 1 replicas' data files but tigerbeetle.replicas is 3/);
        rejects({ tigerbeetle: { restoreFrom: "last-night" } }, "tigerbeetle.restoreFrom", /is not a snapshot set name/);
    });
});

