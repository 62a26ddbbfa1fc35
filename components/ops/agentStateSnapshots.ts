// AgentState's own point-in-time restore (seed 002, section D), run by Kubernetes: a CronJob
// that asks the server for an application-consistent snapshot through its admin API (and,
// optionally, trims the WAL up to it), and a Job that restores the data volume from a named
// snapshot with the CLI before the server starts. Built from the tier's outputs; the tier
// (components/agentState.ts) admits the snapshot pods on the admin port.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash, createHmac } from "crypto";
import { AgentStateSnapshots } from "../../config";
import { Identity, hardenedContainer, hardenedPodSpec, networkPolicy, podMetadata, podsLabelled, recommendedLabels, selectorLabels, tcpPorts } from "../kube";

/** The CronJob's name, which its alerts watch (components/alerts.ts). */
export const SNAPSHOT_CRONJOB = "agentstate-snapshot";

/** The snapshot pods: their own name, so the server's network policy can admit them alone. */
export function snapshotIdentity(instance: string): Identity {
    return { name: SNAPSHOT_CRONJOB, instance, component: "backup" };
}

export const ADMIN_CAP_SECRET = "agentstate-admin-cap";
export const ADMIN_CAP_KEY = "ADMIN_CAP";
/** Where the CA that signed the server's certificate is mounted in the snapshot pods. */
const CA_DIR = "/etc/agentstate-ca";

/**
 * The admin capability: a token `kid.payload.sig` (payload and signature base64url without
 * padding), the payload `{"ns":["admin://global"],"verbs":["admin"]}` signed with HMAC-SHA256
 * under the key `kid` names (the key's base64 text, as the server reads CAP_KEY_ACTIVE), the
 * capability the server's admin endpoints check. No `exp`: the token lives as long as the
 * active key, and a key rotation (capKeys) re-signs it.
 */
export function adminCapToken(keyId: string, key: string): string {
    const payload = Buffer.from(JSON.stringify({ ns: ["admin://global"], verbs: ["admin"] }));
    const sig = createHmac("sha256", key).update(payload).digest();
    return `${keyId}.${payload.toString("base64url")}.${sig.toString("base64url")}`;
}

/**
 * The snapshot job's script (POSIX sh, curl): POST /admin/snapshot, print the snapshot id,
 * then, with TRIM_WAL=true, POST /admin/trim-wal up to it. The token travels in a header
 * curl reads from stdin (`-H @-`), never on a command line; a non-2xx answer, or one without
 * a snapshot id, fails the job.
 */
export const SNAPSHOT_SCRIPT = `set -eu
tls=""
if [ -n "\${CA_FILE:-}" ]; then tls="--cacert $CA_FILE"; fi
call() {
  printf 'Authorization: Bearer %s\\n' "$ADMIN_CAP" |
    curl --silent --show-error --fail-with-body --max-time 120 $tls -X POST -H @- "$AGENTSTATE_ADMIN_URL$1"
}
if ! out=$(call /admin/snapshot); then
  echo "POST /admin/snapshot failed: $out" >&2
  exit 1
fi
id=$(printf '%s' "$out" | sed -n 's/.*"snapshot_id"[[:space:]]*:[[:space:]]*"\\([A-Za-z0-9._-]*\\)".*/\\1/p')
if [ -z "$id" ]; then
  echo "POST /admin/snapshot answered without a snapshot_id: $out" >&2
  exit 1
fi
echo "snapshot_id=$id"
if [ "\${TRIM_WAL:-false}" = true ]; then
  if ! out=$(call "/admin/trim-wal?snapshot_id=$id"); then
    echo "POST /admin/trim-wal failed (the snapshot $id stands): $out" >&2
    exit 1
  fi
  echo "wal trimmed up to $id: $out"
fi
`;

export interface SnapshotScheduleArgs {
    instance: string;
    /** The namespace's name (for the server's DNS name) and the namespace as an output. */
    namespaceName: string;
    namespace: pulumi.Output<string>;
    snapshots: AgentStateSnapshots;
    capKey: { id: string; value: pulumi.Output<string> };
    /** The Secret (and its key) holding the CA that signed the server's certificate; none without TLS. */
    ca?: { secretName: string; key: string };
    server: Identity;
    priorityClassName?: pulumi.Input<string>;
    imagePullSecrets: { name: pulumi.Input<string> }[];
}

/**
 * The snapshot CronJob with its ServiceAccount (no token), the admin capability Secret and
 * the egress policy that lets its pods reach the server's admin port, nothing else.
 */
export function snapshotSchedule(parent: pulumi.Resource, name: string, args: SnapshotScheduleArgs) {
    const id = snapshotIdentity(args.instance);
    const labels = recommendedLabels(id);
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-sa`,
        { metadata: { name: id.name, namespace: args.namespace, labels }, automountServiceAccountToken: false },
        { parent },
    );
    const token = pulumi.secret(args.capKey.value.apply((key) => adminCapToken(args.capKey.id, key)));
    const capSecret = new k8s.core.v1.Secret(
        `${name}-admin-cap`,
        { metadata: { name: ADMIN_CAP_SECRET, namespace: args.namespace, labels }, type: "Opaque", stringData: { [ADMIN_CAP_KEY]: token } },
        { parent },
    );
    jobPodsPolicy(parent, `${name}-netpol`, { id, namespace: args.namespace, labels, egress: [{ to: [podsLabelled(selectorLabels(args.server))], ports: tcpPorts(args.snapshots.port) }] });
    return new k8s.batch.v1.CronJob(
        name,
        {
            metadata: { name: id.name, namespace: args.namespace, labels },
            spec: {
                schedule: args.snapshots.schedule,
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 600,
                successfulJobsHistoryLimit: args.snapshots.successfulJobsHistoryLimit,
                failedJobsHistoryLimit: args.snapshots.failedJobsHistoryLimit,
                jobTemplate: {
                    metadata: { labels },
                    spec: { backoffLimit: 2, activeDeadlineSeconds: 900, template: snapshotPod(args, id, serviceAccount, capSecret) },
                },
            },
        },
        { parent },
    );
}

function snapshotPod(args: SnapshotScheduleArgs, id: Identity, serviceAccount: k8s.core.v1.ServiceAccount, capSecret: k8s.core.v1.Secret) {
    const scheme = args.ca ? "https" : "http";
    const container = hardenedContainer({
        name: "snapshot",
        image: args.snapshots.image,
        command: ["/bin/sh", "-c", SNAPSHOT_SCRIPT],
        env: [
            { name: "AGENTSTATE_ADMIN_URL", value: `${scheme}://agentstate.${args.namespaceName}.svc:${args.snapshots.port}` },
            { name: "TRIM_WAL", value: String(args.snapshots.trimWal) },
            ...(args.ca ? [{ name: "CA_FILE", value: `${CA_DIR}/ca.crt` }] : []),
            { name: ADMIN_CAP_KEY, valueFrom: { secretKeyRef: { name: capSecret.metadata.name, key: ADMIN_CAP_KEY } } },
        ],
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
        volumeMounts: args.ca ? [{ name: "ca", mountPath: CA_DIR, readOnly: true }] : [],
    });
    return {
        metadata: podMetadata(id),
        spec: {
            ...hardenedPodSpec({
                serviceAccountName: serviceAccount.metadata.name,
                priorityClassName: args.priorityClassName,
                imagePullSecrets: args.imagePullSecrets,
                // Only the CA certificate: never the key material stored beside it.
                volumes: args.ca ? [{ name: "ca", secret: { secretName: args.ca.secretName, items: [{ key: args.ca.key, path: "ca.crt" }] } }] : [],
                containers: [container],
            }),
            restartPolicy: "Never",
        },
    };
}

export interface RestoreArgs {
    instance: string;
    namespace: pulumi.Output<string>;
    snapshotId: string;
    image: string;
    /** The server's claim (`data-agentstate-0`: the claim template `data` of the StatefulSet `agentstate`, ordinal 0). */
    claimName: string;
    server: Identity;
    serviceAccountName: pulumi.Input<string>;
    priorityClassName?: pulumi.Input<string>;
    imagePullSecrets: { name: pulumi.Input<string> }[];
}

/** One per snapshot id (a hash: ids may hold upper case). */
const snapshotHash = (snapshotId: string) => createHash("sha256").update(snapshotId).digest("hex").slice(0, 10);

/** The restore Job's name. */
export function restoreJobName(snapshotId: string): string {
    return `agentstate-restore-${snapshotHash(snapshotId)}`;
}

/**
 * The CLI's `restore --data-dir /data --snapshot-id <id>` on the server's claim, as a Job the
 * StatefulSet waits for (the provider awaits its completion). The claim is ReadWriteOnce,
 * which binds it to one node, not one pod: the Job may never share a node with the server,
 * so while a server pod holds the claim the Job stays Pending instead of writing under it.
 * No TTL: a Job that deleted itself would be created again, and restore again, by the next
 * `up`; and only a new snapshot id (a new name) replaces it. Removing the setting deletes
 * the Job, its pod and its network policy only; the claim is not theirs.
 */
export function restoreJob(parent: pulumi.Resource, name: string, args: RestoreArgs) {
    const id: Identity = { name: "agentstate-restore", instance: args.instance, component: "backup" };
    const labels = recommendedLabels(id);
    // The CLI works on the volume alone: nothing reaches its pod, and it reaches nothing.
    jobPodsPolicy(parent, `${name}-netpol`, { id, namespace: args.namespace, labels, egress: [] });
    const spec = hardenedPodSpec({
        serviceAccountName: args.serviceAccountName,
        priorityClassName: args.priorityClassName,
        imagePullSecrets: args.imagePullSecrets,
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: args.claimName } }],
        containers: [
            hardenedContainer({
                name: "restore",
                image: args.image,
                args: ["restore", "--data-dir", "/data", "--snapshot-id", args.snapshotId],
                resources: { requests: { cpu: "200m", memory: "128Mi" }, limits: { cpu: "1000m", memory: "512Mi" } },
                volumeMounts: [{ name: "data", mountPath: "/data" }],
            }),
        ],
    });
    // A resource per snapshot id: another id is a new Job with its own arguments.
    return new k8s.batch.v1.Job(
        `${name}-${snapshotHash(args.snapshotId)}`,
        {
            metadata: { name: restoreJobName(args.snapshotId), namespace: args.namespace, labels, annotations: { "m2m-platform/snapshot-id": args.snapshotId } },
            spec: {
                backoffLimit: 0,
                template: {
                    metadata: podMetadata(id),
                    spec: {
                        ...spec,
                        restartPolicy: "Never",
                        affinity: {
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [
                                    { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels(args.server) } },
                                ],
                            },
                        },
                    },
                },
            },
        },
        // Within one snapshot id, nothing (a new CLI image with the server's release, a changed
        // pod spec) replaces the Job and runs the restore again.
        { parent, customTimeouts: { create: "30m", update: "30m" }, ignoreChanges: ["spec"] },
    );
}

/** A job's pods: nothing reaches them, and they reach only `egress`. */
function jobPodsPolicy(parent: pulumi.Resource, name: string, a: { id: Identity; namespace: pulumi.Input<string>; labels: Record<string, string>; egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] }) {
    networkPolicy(parent, name, {
        name: a.id.name,
        namespace: a.namespace,
        labels: a.labels,
        podSelector: { matchLabels: selectorLabels(a.id) },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: a.egress,
    });
}
