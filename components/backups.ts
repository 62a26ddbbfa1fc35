// Backups, through the engines teams already run: a Velero `Schedule` per stateful tier
// (Velero takes the CSI snapshots, expires them after the TTL and restores them), and,
// for the ledger, CSI `VolumeSnapshot`s taken before an update changes its pod template.
// Nothing here schedules, copies or deletes anything itself.
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupConfig } from "../config";
import { snapshotSetName } from "../config/backups";
import { BackupWatch } from "./alerts";

export const SNAPSHOT_SET_LABEL = "m2m.platform/snapshot-set";

/** The Velero Schedule that backs a namespace up is named after it (Schedules live in Velero's namespace). */
export function backupScheduleName(namespace: string): string {
    return namespace;
}

export interface BackupScheduleArgs {
    backups: BackupConfig;
    /** The tier's namespace: everything in it is backed up, its claims by CSI snapshot. */
    namespace: string;
    labels: Record<string, string>;
}

/**
 * A Velero Schedule for a tier's namespace: every object in it, and every claim as a CSI
 * snapshot (Velero picks the VolumeSnapshotClass labelled `velero.io/csi-volumesnapshot-class`
 * for the claim's driver), kept `retentionDays`.
 */
export function backupSchedule(parent: pulumi.Resource, resourceName: string, args: BackupScheduleArgs): k8s.apiextensions.CustomResource {
    const b = args.backups;
    return new k8s.apiextensions.CustomResource(
        resourceName,
        {
            apiVersion: "velero.io/v1",
            kind: "Schedule",
            metadata: { name: backupScheduleName(args.namespace), namespace: b.veleroNamespace, labels: args.labels },
            spec: {
                schedule: b.schedule,
                useOwnerReferencesInBackup: false,
                template: {
                    includedNamespaces: [args.namespace],
                    snapshotVolumes: true,
                    ttl: `${b.retentionDays * 24}h0m0s`,
                    csiSnapshotTimeout: "10m0s",
                    ...(b.storageLocation ? { storageLocation: b.storageLocation } : {}),
                    metadata: { labels: args.labels },
                },
            },
        },
        { parent },
    );
}

/**
 * A tier's scheduled backup, when backups are on: the Schedule of its namespace, and what
 * its alert group watches of it (components/alerts.ts).
 */
export function tierBackup(parent: pulumi.Resource, resourceName: string, args: Omit<BackupScheduleArgs, "backups"> & { backups?: BackupConfig }): BackupWatch | undefined {
    if (!args.backups) {
        return undefined;
    }
    backupSchedule(parent, resourceName, { ...args, backups: args.backups });
    return { schedule: backupScheduleName(args.namespace), periodSeconds: args.backups.periodSeconds };
}

// ---------------------------------------------------------------------------------------
// Pre-change snapshots

/** What the stack remembers between updates (its `tigerBeetleSnapshots` output). */
export interface SnapshotHistory {
    /** The hash of the pod template the last update deployed. */
    templateHash: string;
    /** How many pre-change sets were ever made: the next set's sequence number. */
    seq: number;
    /** The sets kept, oldest first. */
    sets: string[];
}

/** A short, stable hash of what determines a pod template. */
export function templateHash(determinants: unknown): string {
    return crypto.createHash("sha256").update(JSON.stringify(determinants)).digest("hex").slice(0, 10);
}

/**
 * The sets to keep after this update and the one to take now, if any: a set is taken only
 * when an earlier update is on record (so claims exist) and the template changes; the
 * oldest sets beyond `keep` are dropped.
 */
export function nextSnapshotHistory(previous: SnapshotHistory | undefined, hash: string, replicas: number, keep: number): { history: SnapshotHistory; take?: string } {
    if (!previous || previous.templateHash === hash) {
        return { history: { templateHash: hash, seq: previous?.seq ?? 0, sets: (previous?.sets ?? []).slice(-keep) } };
    }
    const seq = previous.seq + 1;
    const take = snapshotSetName(replicas, `${String(seq).padStart(4, "0")}-${hash.slice(0, 8)}`);
    return { history: { templateHash: hash, seq, sets: [...previous.sets, take].slice(-keep) }, take };
}

/** The snapshot of replica `ordinal`'s claim in a set. */
export function snapshotName(set: string, ordinal: number): string {
    return `${set}-${ordinal}`;
}

export interface SnapshotSetArgs {
    set: string;
    namespace: pulumi.Input<string>;
    /** The claims, in replica order. */
    claims: string[];
    snapshotClass: string;
    labels: Record<string, string>;
}

/**
 * One VolumeSnapshot per claim. Each counts as created only once the CSI driver reports it
 * `readyToUse` (`pulumi.com/waitFor`, provider ≥ 4.18), so whatever depends on the set waits
 * for the data to be safe.
 */
export function snapshotSet(parent: pulumi.Resource, resourcePrefix: string, args: SnapshotSetArgs): k8s.apiextensions.CustomResource[] {
    return args.claims.map(
        (claim, i) =>
            new k8s.apiextensions.CustomResource(
                `${resourcePrefix}-${args.set}-${i}`,
                {
                    apiVersion: "snapshot.storage.k8s.io/v1",
                    kind: "VolumeSnapshot",
                    metadata: {
                        name: snapshotName(args.set, i),
                        namespace: args.namespace,
                        labels: { ...args.labels, [SNAPSHOT_SET_LABEL]: args.set },
                        annotations: { "pulumi.com/waitFor": "jsonpath={.status.readyToUse}=true" },
                    },
                    spec: { volumeSnapshotClassName: args.snapshotClass, source: { persistentVolumeClaimName: claim } },
                },
                { parent },
            ),
    );
}

export interface RestoredClaimsArgs {
    set: string;
    namespace: pulumi.Input<string>;
    /** The claims as the StatefulSet names them (`<template>-<set>-<ordinal>`), in replica order. */
    claims: string[];
    template: k8s.types.input.core.v1.PersistentVolumeClaim;
    labels: Record<string, string>;
}

/**
 * The claims a StatefulSet adopts, recreated from a snapshot set (each from the snapshot of
 * its ordinal). Created before the StatefulSet, which then finds them by name. Kept when the
 * setting is removed again (`retainOnDelete`): from then on they are the tier's live data.
 * Not awaited: with WaitForFirstConsumer they bind only once the replica is scheduled.
 */
export function restoredClaims(parent: pulumi.Resource, resourcePrefix: string, args: RestoredClaimsArgs): k8s.core.v1.PersistentVolumeClaim[] {
    return args.claims.map(
        (claim, i) =>
            new k8s.core.v1.PersistentVolumeClaim(
                `${resourcePrefix}-${claim}`,
                {
                    metadata: {
                        name: claim,
                        namespace: args.namespace,
                        labels: { ...args.labels, [SNAPSHOT_SET_LABEL]: args.set },
                        annotations: { "pulumi.com/skipAwait": "true" },
                    },
                    spec: {
                        ...args.template.spec,
                        dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: snapshotName(args.set, i) },
                    },
                },
                { parent, retainOnDelete: true },
            ),
    );
}
