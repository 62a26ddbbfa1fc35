// The stack-wide backup key: Velero Schedules for every stateful tier and the ledger's
// pre-change snapshots (components/backups.ts).
import { schedulePeriod } from "./cron";
import { cronSchedule } from "./kinds";
import { namespaceName } from "./reader";
import { Context, bool, declare, group, int, optionalStr, requiredStr, section, str } from "./schema";
import { BackupConfig } from "./types";

export const BACKUPS = declare(
    "backups",
    "Scheduled backups (Velero) of every stateful tier and pre-change snapshots of the ledger (CSI)",
    group({
        enabled: bool({ default: { dev: false, prod: true }, note: "needs Velero with CSI snapshots and a VolumeSnapshotClass" }),
        veleroNamespace: str({ default: "velero", check: (ctx, path, name) => namespaceName(ctx.r, path, name) }),
        storageLocation: optionalStr({ unset: "Velero's default BackupStorageLocation" }),
        snapshotClass: requiredStr({
            unset: "required when enabled",
            fix: 'set backups.snapshotClass to the cluster\'s VolumeSnapshotClass (kubectl get volumesnapshotclass), or backups.enabled to false',
        }),
        schedule: cronSchedule({ default: "0 2 * * *", note: "cron, UTC; daily at 02:00 by default" }),
        retentionDays: int({ default: 30, min: 1, note: "Velero's backup TTL" }),
        preChangeSnapshots: int({ default: 3, min: 0, max: 20, note: "ledger snapshot sets kept; 0 turns them off" }),
    }),
);

export const BACKUP_KEYS = [BACKUPS];

/** The backup settings when enabled, or undefined. */
export function readBackups(ctx: Context): BackupConfig | undefined {
    const s = section(ctx, BACKUPS);
    if (!s.read("enabled")) {
        return undefined;
    }
    const schedule = s.read("schedule");
    return {
        veleroNamespace: s.read("veleroNamespace"),
        storageLocation: s.read("storageLocation"),
        snapshotClass: s.read("snapshotClass"),
        schedule,
        periodSeconds: schedulePeriod(schedule),
        retentionDays: s.read("retentionDays"),
        preChangeSnapshots: s.read("preChangeSnapshots"),
    };
}

/**
 * A ledger snapshot set's name: `tigerbeetle-<replicas>r-<id>`, its snapshots `<set>-<ordinal>`.
 * The replica count is part of the name because a replica's data file belongs to a cluster
 * of that size: a set can only be restored into a ledger with as many replicas.
 */
export function snapshotSetName(replicas: number, id: string): string {
    return `tigerbeetle-${replicas}r-${id}`;
}

/** The replica count a set's name records, or undefined when it is not a set name. */
export function snapshotSetReplicas(name: string): number | undefined {
    const m = /^tigerbeetle-([0-9]+)r-[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.exec(name);
    return m ? Number(m[1]) : undefined;
}
