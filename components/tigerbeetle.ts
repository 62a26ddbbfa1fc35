import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupConfig, ClusterIdSpec, ImageSpec, RegistryConfig } from "../config";
import { alertRules, tigerbeetleRules } from "./alerts";
import { SnapshotHistory, nextSnapshotHistory, restoredClaims, snapshotSet, templateHash, tierBackup } from "./backups";
import { dashboardConfigMap, tigerbeetleDashboard } from "./dashboards";
import { TierBase, tierBase } from "./tier";
import {
    RETAIN_CLAIMS,
    ResourceFigures,
    clusterService,
    disruptionBudget,
    hardenedContainer,
    hardenedPodSpec,
    inNamespace,
    networkPolicy,
    podMetadata,
    podsLabelled,
    selectorLabels,
    tcpPorts,
    tcpProbe,
    volumeClaim,
} from "./kube";

export const TIGERBEETLE_PORT = 3000;
const STATEFULSET = "tigerbeetle";
const HEADLESS = "tigerbeetle-headless";
/** Exists once the cluster has formed: a replica without a data file then recovers, never formats. */
const FORMED = "tigerbeetle-formed";
const LEDGER_PORTS = [{ name: "tigerbeetle", port: TIGERBEETLE_PORT }];

export interface TigerBeetleClusterArgs {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    namespace: string;
    /** Odd: 1 in dev, 3 or 5 in prod. Fixed once the cluster is formatted. */
    replicas: number;
    clusterId: ClusterIdSpec;
    image: ImageSpec;
    registry?: RegistryConfig;
    storage: string;
    storageClass?: string;
    /** `--cache-grid` for `tigerbeetle start`. */
    cacheGrid: string;
    resources: ResourceFigures;
    /** Namespaces whose pods may reach port 3000 (the connector's). */
    clientNamespaces: pulumi.Input<string>[];
    /** Protect the ledger's identity and StatefulSet from replacement and deletion (prod). */
    protect: boolean;
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** The Velero Schedule and pre-change snapshots (`backups`); none when undefined. */
    backups?: BackupConfig;
    /** The snapshot record of the stack's last update (its own outputs); undefined before the first. */
    previousSnapshots?: pulumi.Input<SnapshotHistory | undefined>;
    /** Recreate the replicas' claims from this snapshot set before the StatefulSet. */
    restoreFrom?: string;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
}

/**
 * TigerBeetle ledger cluster: a StatefulSet with one PVC per replica, each replica's data
 * file `{cluster}_{replica}.tigerbeetle` formatted on first start only, one ClusterIP Service
 * per replica as its address that never moves, a headless governing Service, a ClusterIP
 * Service for clients, a quorum-preserving PDB and a NetworkPolicy that admits only peers and
 * the configured client namespaces.
 */
export class TigerBeetleCluster extends pulumi.ComponentResource {
    /** Every replica's address in replica order (`<its Service's ClusterIP>:3000`), as clients must list them. */
    public readonly addresses: pulumi.Output<string[]>;
    /** The 128-bit cluster ID, in decimal. */
    public readonly clusterId: pulumi.Output<string>;
    /** The client Service's in-cluster address. */
    public readonly serviceAddress: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;
    /** The pre-change snapshot record to keep for the next update (the `tigerBeetleSnapshots` output). */
    public readonly snapshots?: pulumi.Output<SnapshotHistory>;

    constructor(name: string, args: TigerBeetleClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:TigerBeetleCluster", name, {}, opts);
        if (args.replicas % 2 === 0 || args.replicas < 1) {
            throw new Error(`TigerBeetleCluster ${name}: replicas must be odd, got ${args.replicas}`);
        }
        // io_uring is blocked by the container runtime's default seccomp profile, so this
        // namespace alone admits `Unconfined` pods (see README, "TigerBeetle").
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "tigerbeetle",
            component: "ledger",
            podSecurity: "privileged",
            holdsData: true,
        });
        const identity = this.recordIdentity(name, args, base, this.resolveClusterId(name, args));
        // Read back from the record, so that whatever carries the ID (the replicas, the
        // connector) is computed from the ledger's identity, as the policy pack checks.
        this.clusterId = identity.data.apply((d) => d.clusterId);
        const headless = clusterService(this, `${name}-headless`, { name: HEADLESS, namespace: base.ns, id: base.id, headless: true, ports: LEDGER_PORTS });
        this.addresses = this.replicaServices(name, args, base);
        const client = clusterService(this, `${name}-client`, { name: "tigerbeetle", namespace: base.ns, id: base.id, ports: LEDGER_PORTS });
        const restored = args.restoreFrom
            ? restoredClaims(this, `${name}-restored`, { set: args.restoreFrom, namespace: base.ns, claims: claimNames(args.replicas), template: DATA_CLAIM(args), labels: base.labels })
            : [];
        const preChange = this.preChangeSnapshots(name, args, base);
        this.snapshots = preChange?.history;
        const before = pulumi.output(preChange?.taken ?? []).apply((taken) => [identity, ...restored, ...taken]);
        const statefulSet = this.statefulSet(name, args, base, { governing: headless, before, scripts: this.startScript(name, base) });
        this.recordFormed(name, base, statefulSet);
        if (args.replicas > 1) {
            // Quorum is a majority: never allow more than a minority to be evicted.
            disruptionBudget(this, `${name}-pdb`, {
                name: "tigerbeetle",
                namespace: base.ns,
                id: base.id,
                minAvailable: quorum(args.replicas),
                unhealthyPodEvictionPolicy: "IfHealthyBudget",
            });
        }
        this.admitPeersAndClients(name, args, base);
        const backup = tierBackup(this, `${name}-backup`, { backups: args.backups, namespace: args.namespace, labels: base.labels });
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, {
                namespace: base.ns,
                labels: base.labels,
                group: tigerbeetleRules({ namespace: args.namespace, statefulSet: STATEFULSET, replicas: args.replicas, quorum: quorum(args.replicas), backup }),
            });
        }
        if (args.dashboards) {
            const dashboard = tigerbeetleDashboard({ namespace: args.namespace, statefulSet: STATEFULSET, replicas: args.replicas, quorum: quorum(args.replicas) });
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: "tigerbeetle", namespace: base.ns, labels: base.labels, dashboard });
        }

        this.namespace = base.ns;
        this.serviceAddress = pulumi.interpolate`${client.metadata.name}.${base.ns}.svc.cluster.local:${TIGERBEETLE_PORT}`;
        this.registerOutputs({
            addresses: this.addresses,
            clusterId: this.clusterId,
            serviceAddress: this.serviceAddress,
            namespace: this.namespace,
            snapshots: this.snapshots,
        });
    }

    /**
     * Before an update that changes the replicas' pod template, a snapshot of every replica's
     * claim, which the StatefulSet waits for (`taken`). The template is known by the hash of
     * what determines it; the record of the last update says whether it changed.
     */
    private preChangeSnapshots(name: string, args: TigerBeetleClusterArgs, base: TierBase) {
        const keep = args.backups?.preChangeSnapshots ?? 0;
        if (!args.backups || keep === 0) {
            return undefined;
        }
        const snapshotClass = args.backups.snapshotClass;
        const hash = templateHash({ image: args.image, replicas: args.replicas, cacheGrid: args.cacheGrid, resources: args.resources, script: START_SCRIPT });
        const next = pulumi.output(args.previousSnapshots).apply((previous) => nextSnapshotHistory(previous, hash, args.replicas, keep));
        // Every kept set stays registered; the ones dropped from the record are deleted.
        const sets = next.apply(({ history, take }) =>
            history.sets.map((set) => ({
                set,
                snapshots: snapshotSet(this, `${name}-snapshot`, { set, namespace: base.ns, claims: claimNames(args.replicas), snapshotClass, labels: base.labels }),
                current: set === take,
            })),
        );
        return {
            history: next.apply((n) => n.history),
            taken: sets.apply((all) => all.filter((s) => s.current).flatMap((s) => s.snapshots)),
        };
    }

    private resolveClusterId(name: string, args: TigerBeetleClusterArgs): pulumi.Output<string> {
        if (args.clusterId.mode === "fixed") {
            return pulumi.output(args.clusterId.value);
        }
        // Generated once; the RandomId has no keepers, so it never changes, and it is
        // protected so that no update can delete or replace it.
        const generated = new random.RandomId(`${name}-cluster-id`, { byteLength: 16 }, { parent: this, protect: true });
        return generated.dec.apply((dec) => {
            if (BigInt(dec) === 0n) {
                throw new Error("generated TigerBeetle cluster ID is 0, which is reserved for testing; replace the RandomId");
            }
            return dec;
        });
    }

    /**
     * The cluster's identity in an immutable ConfigMap. Changing the cluster ID or replica
     * count would need a replacement, which `protect` refuses in every environment: the change
     * fails at preview, before anything is touched or reformatted (the replicas would refuse
     * to start on the other cluster's data). Tearing a dev stack down unprotects it first (the
     * driver's destroy); in prod that is a human step.
     */
    private recordIdentity(name: string, args: TigerBeetleClusterArgs, base: TierBase, clusterId: pulumi.Output<string>): k8s.core.v1.ConfigMap {
        return new k8s.core.v1.ConfigMap(
            `${name}-identity`,
            {
                metadata: { name: "tigerbeetle-cluster", namespace: base.ns, labels: base.labels },
                immutable: true,
                data: { clusterId, replicaCount: String(args.replicas) },
            },
            { parent: this, protect: true },
        );
    }

    /**
     * One ClusterIP Service per replica, selecting that replica's pod: its IP lives as long as
     * the Service, so a replica rescheduled to another pod IP keeps its address and no peer
     * (nor the connector) has to learn a new one. Returns the addresses in replica order.
     */
    private replicaServices(name: string, args: TigerBeetleClusterArgs, base: TierBase): pulumi.Output<string[]> {
        const services = Array.from({ length: args.replicas }, (_, i) =>
            clusterService(this, `${name}-replica-${i}`, {
                name: replicaServiceName(STATEFULSET, i),
                namespace: base.ns,
                id: base.id,
                pod: `${STATEFULSET}-${i}`,
                ports: LEDGER_PORTS,
            }),
        );
        // The API server allocates the IP when it creates the Service: until then (a preview
        // from empty) the address is unknown, whatever the provider's preview shows of the spec.
        const ip = (s: k8s.core.v1.Service) =>
            pulumi.all([s.id, s.spec]).apply(([, spec]) => {
                if (!spec.clusterIP || spec.clusterIP === "None") {
                    throw new Error(`TigerBeetleCluster ${name}: a replica Service has no ClusterIP (${JSON.stringify(spec.clusterIP)}) after it was created`);
                }
                return spec.clusterIP;
            });
        return pulumi.all(services.map(ip)).apply((ips) => ips.map((a) => `${a}:${TIGERBEETLE_PORT}`));
    }

    /**
     * The marker that the cluster has formed, created once the StatefulSet is first ready
     * (every replica formatted and started). From then on a replica that finds no data file
     * has lost it, and the start script runs `tigerbeetle recover` (TigerBeetle's guide:
     * a fresh `format` of a replica that was part of the cluster can lose committed data).
     */
    private recordFormed(name: string, base: TierBase, statefulSet: k8s.apps.v1.StatefulSet): k8s.core.v1.ConfigMap {
        return new k8s.core.v1.ConfigMap(
            `${name}-formed`,
            { metadata: { name: FORMED, namespace: base.ns, labels: base.labels }, immutable: true, data: { clusterId: this.clusterId } },
            { parent: this, dependsOn: [statefulSet] },
        );
    }

    private startScript(name: string, base: TierBase): k8s.core.v1.ConfigMap {
        return new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: { name: "tigerbeetle-scripts", namespace: base.ns, labels: base.labels }, data: { "start.sh": START_SCRIPT } },
            { parent: this },
        );
    }

    /** `before`: what the StatefulSet waits for (the identity, restored claims, this update's snapshots). */
    private statefulSet(name: string, args: TigerBeetleClusterArgs, base: TierBase, deps: { governing: k8s.core.v1.Service; before: pulumi.Input<pulumi.Resource[]>; scripts: k8s.core.v1.ConfigMap }) {
        return new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: { name: STATEFULSET, namespace: base.ns, labels: base.labels },
                spec: {
                    replicas: args.replicas,
                    serviceName: deps.governing.metadata.name,
                    podManagementPolicy: "Parallel",
                    updateStrategy: { type: "RollingUpdate" },
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(base.id) },
                    template: {
                        metadata: podMetadata(base.id, { "m2m.platform/cluster-id": this.clusterId }),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            // One replica per node: a node lost takes one replica, never quorum.
                            placement: { id: base.id, spread: "required" },
                            priorityClassName: args.priorityClassName,
                            security: { seccomp: "Unconfined" },
                            terminationGracePeriodSeconds: 60,
                            volumes: [
                                { name: "scripts", configMap: { name: deps.scripts.metadata.name, defaultMode: 0o555 } },
                                // Optional: absent while the cluster forms, on the first update.
                                { name: "formed", configMap: { name: FORMED, optional: true } },
                            ],
                            containers: [this.replicaContainer(args, base)],
                        }),
                    },
                    volumeClaimTemplates: [DATA_CLAIM(args)],
                },
            },
            { parent: this, protect: args.protect, dependsOn: deps.before },
        );
    }

    private replicaContainer(args: TigerBeetleClusterArgs, base: TierBase) {
        return hardenedContainer({
            name: "tigerbeetle",
            image: base.image.ref,
            command: ["/bin/sh", "/scripts/start.sh"],
            ports: [{ name: "tigerbeetle", containerPort: TIGERBEETLE_PORT }],
            env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "CLUSTER_ID", value: this.clusterId },
                { name: "REPLICA_COUNT", value: String(args.replicas) },
                // Every replica's stable address; a change (a replaced Service) rolls the replicas.
                { name: "ADDRESSES", value: this.addresses.apply((a) => a.join(",")) },
                { name: "PORT", value: String(TIGERBEETLE_PORT) },
                { name: "CACHE_GRID", value: args.cacheGrid },
            ],
            resources: args.resources,
            volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "scripts", mountPath: "/scripts", readOnly: true },
                { name: "formed", mountPath: "/formed", readOnly: true },
            ],
            startupProbe: tcpProbe(TIGERBEETLE_PORT, { initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 60 }),
            readinessProbe: tcpProbe(TIGERBEETLE_PORT, { periodSeconds: 10 }),
            livenessProbe: tcpProbe(TIGERBEETLE_PORT, { periodSeconds: 10, failureThreshold: 6 }),
        });
    }

    private admitPeersAndClients(name: string, args: TigerBeetleClusterArgs, base: TierBase) {
        networkPolicy(this, `${name}-netpol`, {
            name: "tigerbeetle",
            namespace: base.ns,
            labels: base.labels,
            podSelector: { matchLabels: selectorLabels(base.id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [podsLabelled(selectorLabels(base.id)), ...args.clientNamespaces.map((n) => inNamespace(n))],
                    ports: tcpPorts(TIGERBEETLE_PORT),
                },
            ],
            egress: [{ to: [podsLabelled(selectorLabels(base.id))], ports: tcpPorts(TIGERBEETLE_PORT) }],
        });
    }
}

/** The replicas' claim template: `data`, so replica N's claim is `data-tigerbeetle-N`. */
const DATA_CLAIM = (args: TigerBeetleClusterArgs) => volumeClaim("data", args.storage, args.storageClass);

/** Every replica's claim, in replica order. */
function claimNames(replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `data-${STATEFULSET}-${i}`);
}

/** The majority of `replicas`: the fewest replicas that keep the cluster available. */
export function quorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

/** The Service that is replica `ordinal`'s stable address: `tigerbeetle-replica-0`, ... */
export function replicaServiceName(statefulSet: string, ordinal: number): string {
    return `${statefulSet}-replica-${ordinal}`;
}

/**
 * The replica entrypoint. TigerBeetle 0.16 parses `--addresses` as IP addresses and ports
 * only (host names were never accepted there, upstream issue #74), and resolves nothing
 * later. Each replica's address is therefore its own Service's ClusterIP, which never moves
 * (ADDRESSES, in replica order), with `0.0.0.0` in this replica's own slot to listen on. The
 * script formats the data file once and then becomes the replica (`exec`): nothing in it
 * watches peers, so a peer rescheduled to another pod restarts no other replica.
 */
export const START_SCRIPT = `#!/bin/sh
set -eu
ordinal="\${POD_NAME##*-}"
data_dir="\${DATA_DIR:-/data}"
data="$data_dir/\${CLUSTER_ID}_\${ordinal}.tigerbeetle"
bin="\${TIGERBEETLE_BIN:-/tigerbeetle}"
formed="\${FORMED_DIR:-/formed}/clusterId"

# This replica's --addresses: ADDRESSES in replica order, its own slot replaced by the
# address it listens on. The list must name exactly REPLICA_COUNT replicas.
addresses=""
count=0
old_ifs="$IFS"
IFS=,
for addr in \${ADDRESSES}; do
  [ "$count" = "$ordinal" ] && addr="0.0.0.0:\${PORT}"
  addresses="\${addresses:+$addresses,}$addr"
  count=$((count + 1))
done
IFS="$old_ifs"
if [ "$count" != "\${REPLICA_COUNT}" ] || [ "$ordinal" -ge "$count" ]; then
  echo "FATAL: ADDRESSES lists $count replica addresses (\${ADDRESSES}); this cluster has \${REPLICA_COUNT} and this is replica $ordinal." >&2
  echo "The addresses come from the per-replica Services; redeploy the stack so they match. Nothing was formatted." >&2
  exit 78
fi

# Format on first start only. A data file of another cluster ID means the configured ID
# changed: refuse loudly instead of formatting over the ledger. Once the cluster has formed
# (the marker the stack writes then), a missing data file was lost: recover it from the
# peers instead, as TigerBeetle requires (a fresh format could lose committed transfers).
if [ ! -f "$data" ]; then
  for other in "$data_dir"/*.tigerbeetle; do
    if [ -f "$other" ]; then
      echo "FATAL: $other exists but this replica expects $data." >&2
      echo "The TigerBeetle cluster ID is immutable; restore tigerbeetle.clusterId. Nothing was formatted." >&2
      exit 78
    fi
  done
  rm -f "$data.partial"
  if [ -f "$formed" ]; then
    if [ "\${REPLICA_COUNT}" = 1 ]; then
      echo "FATAL: $data is missing, and a single-replica cluster has no peer to recover it from." >&2
      echo "Restore the claim from a snapshot set (tigerbeetle.restoreFrom, README \"Backups and restore\"). Nothing was formatted." >&2
      exit 78
    fi
    echo "Recovering $data from the cluster (replica \${ordinal} of \${REPLICA_COUNT} lost its data file)"
    "$bin" recover --cluster="\${CLUSTER_ID}" --addresses="$addresses" --replica="\${ordinal}" --replica-count="\${REPLICA_COUNT}" "$data.partial"
  else
    echo "Formatting $data (cluster \${CLUSTER_ID}, replica \${ordinal} of \${REPLICA_COUNT})"
    "$bin" format --cluster="\${CLUSTER_ID}" --replica="\${ordinal}" --replica-count="\${REPLICA_COUNT}" "$data.partial"
  fi
  mv "$data.partial" "$data"
else
  echo "Data file $data exists; not formatting"
fi

echo "Starting replica \${ordinal} with --addresses=$addresses"
exec "$bin" start --addresses="$addresses" --cache-grid="\${CACHE_GRID}" "$data"
`;
