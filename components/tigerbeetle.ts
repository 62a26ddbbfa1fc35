import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ClusterIdSpec, ImageSpec, RegistryConfig } from "../config";
import { tierBase } from "./tier";
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
    serviceHost,
    tcpPorts,
    tcpProbe,
    volumeClaim,
} from "./kube";

export const TIGERBEETLE_PORT = 3000;
const STATEFULSET = "tigerbeetle";
const HEADLESS = "tigerbeetle-headless";

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
}

/**
 * TigerBeetle ledger cluster: a StatefulSet with one PVC per replica, each replica's data
 * file `{cluster}_{replica}.tigerbeetle` formatted on first start only, a headless Service
 * for the replicas and a ClusterIP Service for clients, a quorum-preserving PDB and a
 * NetworkPolicy that admits only peers and the configured client namespaces.
 */
export class TigerBeetleCluster extends pulumi.ComponentResource {
    /** Every replica's address in replica order (`host:3000`), as clients must list them. */
    public readonly addresses: pulumi.Output<string[]>;
    /** The 128-bit cluster ID, in decimal. */
    public readonly clusterId: pulumi.Output<string>;
    /** The client Service's in-cluster address. */
    public readonly serviceAddress: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: TigerBeetleClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:TigerBeetleCluster", name, {}, opts);
        if (args.replicas % 2 === 0 || args.replicas < 1) {
            throw new Error(`TigerBeetleCluster ${name}: replicas must be odd, got ${args.replicas}`);
        }
        // io_uring is blocked by the container runtime's default seccomp profile, so this
        // namespace alone admits `Unconfined` pods (see README, "TigerBeetle").
        const { image, id, labels, foundation, ns } = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "tigerbeetle",
            component: "ledger",
            podSecurity: "privileged",
            holdsData: true,
        });

        this.clusterId = this.resolveClusterId(name, args);

        // The cluster's identity is recorded in an immutable ConfigMap. Changing the cluster
        // ID or replica count would need a replacement, which `protect` refuses in every
        // environment: the change fails at preview, before anything is touched or reformatted
        // (the replicas would refuse to start on the other cluster's data). Tearing a dev
        // stack down unprotects it first (the driver's destroy); in prod that is a human step.
        const identity = new k8s.core.v1.ConfigMap(
            `${name}-identity`,
            {
                metadata: { name: "tigerbeetle-cluster", namespace: ns, labels },
                immutable: true,
                data: { clusterId: this.clusterId, replicaCount: String(args.replicas) },
            },
            { parent: this, protect: true },
        );

        const scripts = new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: { name: "tigerbeetle-scripts", namespace: ns, labels }, data: { "start.sh": START_SCRIPT } },
            { parent: this },
        );

        const headless = clusterService(this, `${name}-headless`, {
            name: HEADLESS,
            namespace: ns,
            id,
            headless: true,
            ports: [{ name: "tigerbeetle", port: TIGERBEETLE_PORT }],
        });
        const client = clusterService(this, `${name}-client`, {
            name: "tigerbeetle",
            namespace: ns,
            id,
            ports: [{ name: "tigerbeetle", port: TIGERBEETLE_PORT }],
        });

        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: { name: STATEFULSET, namespace: ns, labels },
                spec: {
                    replicas: args.replicas,
                    serviceName: headless.metadata.name,
                    podManagementPolicy: "Parallel",
                    updateStrategy: { type: "RollingUpdate" },
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(id) },
                    template: {
                        metadata: podMetadata(id, { "m2m.platform/cluster-id": this.clusterId }),
                        spec: hardenedPodSpec({
                            serviceAccountName: foundation.serviceAccount.metadata.name,
                            imagePullSecrets: foundation.imagePullSecrets,
                            // One replica per node: a node lost takes one replica, never quorum.
                            placement: { id, spread: "required" },
                            priorityClassName: args.priorityClassName,
                            security: { seccomp: "Unconfined" },
                            terminationGracePeriodSeconds: 60,
                            volumes: [{ name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o555 } }],
                            containers: [
                                hardenedContainer({
                                    name: "tigerbeetle",
                                    image: image.ref,
                                    command: ["/bin/sh", "/scripts/start.sh"],
                                    ports: [{ name: "tigerbeetle", containerPort: TIGERBEETLE_PORT }],
                                    env: [
                                        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                        { name: "CLUSTER_ID", value: this.clusterId },
                                        { name: "REPLICA_COUNT", value: String(args.replicas) },
                                        { name: "STATEFULSET", value: STATEFULSET },
                                        { name: "HEADLESS_DOMAIN", value: pulumi.interpolate`${HEADLESS}.${ns}.svc.cluster.local` },
                                        { name: "PORT", value: String(TIGERBEETLE_PORT) },
                                        { name: "CACHE_GRID", value: args.cacheGrid },
                                    ],
                                    resources: args.resources,
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                                    ],
                                    startupProbe: tcpProbe(TIGERBEETLE_PORT, { initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 60 }),
                                    readinessProbe: tcpProbe(TIGERBEETLE_PORT, { periodSeconds: 10 }),
                                    livenessProbe: tcpProbe(TIGERBEETLE_PORT, { periodSeconds: 10, failureThreshold: 6 }),
                                }),
                            ],
                        }),
                    },
                    volumeClaimTemplates: [volumeClaim("data", args.storage, args.storageClass)],
                },
            },
            { parent: this, protect: args.protect, dependsOn: [identity] },
        );

        if (args.replicas > 1) {
            // Quorum is a majority: never allow more than a minority to be evicted.
            disruptionBudget(this, `${name}-pdb`, {
                name: "tigerbeetle",
                namespace: ns,
                id,
                minAvailable: quorum(args.replicas),
                unhealthyPodEvictionPolicy: "IfHealthyBudget",
            });
        }

        networkPolicy(this, `${name}-netpol`, {
            name: "tigerbeetle",
            namespace: ns,
            labels,
            podSelector: { matchLabels: selectorLabels(id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [podsLabelled(selectorLabels(id)), ...args.clientNamespaces.map((n) => inNamespace(n))],
                    ports: tcpPorts(TIGERBEETLE_PORT),
                },
            ],
            egress: [{ to: [podsLabelled(selectorLabels(id))], ports: tcpPorts(TIGERBEETLE_PORT) }],
        });

        this.namespace = ns;
        this.addresses = pulumi
            .all([ns, statefulSet.metadata.name])
            .apply(([n, sts]) => replicaAddresses(sts, HEADLESS, n, args.replicas));
        this.serviceAddress = pulumi.interpolate`${client.metadata.name}.${ns}.svc.cluster.local:${TIGERBEETLE_PORT}`;
        this.registerOutputs({
            addresses: this.addresses,
            clusterId: this.clusterId,
            serviceAddress: this.serviceAddress,
            namespace: this.namespace,
        });
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
}

/** The majority of `replicas`: the fewest replicas that keep the cluster available. */
export function quorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

/** Each replica's stable address through the headless Service, in replica order. */
export function replicaAddresses(statefulSet: string, headless: string, namespace: string, replicas: number): string[] {
    return Array.from(
        { length: replicas },
        (_, i) => `${statefulSet}-${i}.${serviceHost(headless, namespace)}:${TIGERBEETLE_PORT}`,
    );
}

/**
 * The replica entrypoint. TigerBeetle 0.16 parses `--addresses` as IP addresses and ports
 * only (host names were never accepted there, upstream issue #74), so the script resolves
 * each peer's stable DNS name through the headless Service (which publishes not-ready
 * addresses) and waits until every peer resolves. TigerBeetle resolves nothing later, so
 * when a peer is rescheduled to a new IP this replica restarts itself to reconnect.
 */
export const START_SCRIPT = `#!/bin/sh
set -eu
ordinal="\${POD_NAME##*-}"
data_dir="\${DATA_DIR:-/data}"
data="$data_dir/\${CLUSTER_ID}_\${ordinal}.tigerbeetle"
bin="\${TIGERBEETLE_BIN:-/tigerbeetle}"

# Format on first start only. A data file of another cluster ID means the configured ID
# changed: refuse loudly instead of formatting over the ledger.
if [ ! -f "$data" ]; then
  for other in "$data_dir"/*.tigerbeetle; do
    if [ -f "$other" ]; then
      echo "FATAL: $other exists but this replica expects $data." >&2
      echo "The TigerBeetle cluster ID is immutable; restore tigerbeetle.clusterId. Nothing was formatted." >&2
      exit 78
    fi
  done
  echo "Formatting $data (cluster \${CLUSTER_ID}, replica \${ordinal} of \${REPLICA_COUNT})"
  rm -f "$data.partial"
  "$bin" format --cluster="\${CLUSTER_ID}" --replica="\${ordinal}" --replica-count="\${REPLICA_COUNT}" "$data.partial"
  mv "$data.partial" "$data"
else
  echo "Data file $data exists; not formatting"
fi

resolve() {
  ip="$(getent hosts "$1" 2>/dev/null | awk '{ print $1; exit }')" || true
  if [ -z "$ip" ]; then
    ip="$(nslookup "$1" 2>/dev/null | awk '/^Address/ && $NF !~ /#/ { a = $NF } END { print a }')" || true
  fi
  printf '%s' "$ip"
}

# Prints the comma-separated --addresses in replica order; with "once", prints nothing if a
# peer does not resolve yet, otherwise waits for it.
peer_addresses() {
  out=""
  i=0
  while [ "$i" -lt "\${REPLICA_COUNT}" ]; do
    if [ "$i" = "$ordinal" ]; then
      addr="0.0.0.0:\${PORT}"
    else
      host="\${STATEFULSET}-$i.\${HEADLESS_DOMAIN}"
      ip="$(resolve "$host")"
      waited=0
      while [ -z "$ip" ]; do
        [ "\${1:-}" = once ] && return 0
        [ $((waited % 30)) -eq 0 ] && echo "Waiting for peer $host to resolve" >&2
        sleep 2
        waited=$((waited + 2))
        ip="$(resolve "$host")"
      done
      addr="$ip:\${PORT}"
    fi
    out="\${out:+$out,}$addr"
    i=$((i + 1))
  done
  printf '%s' "$out"
}

addresses="$(peer_addresses)"
echo "Starting replica \${ordinal} with --addresses=$addresses"
"$bin" start --addresses="$addresses" --cache-grid="\${CACHE_GRID}" "$data" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT

while kill -0 "$pid" 2>/dev/null; do
  sleep "\${PEER_CHECK_SECONDS:-15}" &
  wait $! || true
  current="$(peer_addresses once)"
  if [ -n "$current" ] && [ "$current" != "$addresses" ]; then
    echo "Peer addresses changed ($addresses -> $current); restarting to reconnect" >&2
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || true
    exit 75
  fi
done
wait "$pid"
`;
