// Hand-built Kubernetes resources, shaped like the program's, for the policy specs: a
// compliant miniature platform and helpers to break one thing at a time.
import * as assert from "assert";
import { Resource, UNKNOWN, Violation, show, urnOf } from "./run";

export { UNKNOWN };

export type Props = Record<string, any>;

export const T = {
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    priorityClass: "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    veleroSchedule: "kubernetes:velero.io/v1:Schedule",
};

/** The stack's two PriorityClasses, as components/priority.ts names them (no namespacePrefix). */
export const PLATFORM_CLASS = "m2m-platform";
export const TENANT_CLASS = "m2m-tenant";

export const DIGEST = `@sha256:${"ab".repeat(32)}`;
export const CLUSTER_ID = "164575854941409364431419478367385614379";

export function clone<T>(x: T): T {
    return JSON.parse(JSON.stringify(x));
}

let counter = 0;
function res(type: string, props: Props, name?: string): Resource {
    return { type, name: name ?? `${props.metadata?.name ?? "r"}-${++counter}`, props };
}

export function labels(name: string, instance = name): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance };
}

export interface ContainerOpts {
    image?: string;
    ports?: Props[];
    env?: Props[];
    resources?: Props;
    probes?: boolean;
    volumeMounts?: Props[];
}

/**
 * A container as the program's hardenedContainer builds it. Its probes are the program's
 * httpProbes: readiness asks /health on its first port, liveness only connects to that port.
 */
export function container(name: string, opts: ContainerOpts = {}): Props {
    const ports = opts.ports ?? [{ name: "http", containerPort: 8080 }];
    const port = ports[0]?.name ?? "http";
    return {
        name,
        image: opts.image ?? `registry.example.com/${name}${DIGEST}`,
        imagePullPolicy: "IfNotPresent",
        ports,
        env: opts.env ?? [],
        resources: opts.resources ?? { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
        volumeMounts: [...(opts.volumeMounts ?? []), { name: "tmp", mountPath: "/tmp" }],
        ...(opts.probes === false
            ? {}
            : {
                  livenessProbe: { tcpSocket: { port }, periodSeconds: 15 },
                  readinessProbe: { httpGet: { path: "/health", port }, periodSeconds: 10 },
              }),
    };
}

/** A pod spec as the program's hardenedPodSpec builds it. */
export function podSpec(serviceAccountName: string, containers: Props[], extra: Props = {}): Props {
    return {
        serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers,
        ...extra,
        volumes: [...(extra.volumes ?? []), { name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

export interface WorkloadOpts {
    replicas?: number;
    /** The pod's PriorityClass (the platform's unless given; null: none). */
    priorityClassName?: string | null;
    /** How its replicas are placed over nodes, as components/kube.ts placementSpec does. */
    spread?: "required" | "preferred";
    containers?: Props[];
    annotations?: Record<string, string>;
    spec?: Props;
    pod?: Props;
    volumeClaimTemplates?: Props[];
    serviceName?: string;
}

function workload(type: string, name: string, namespace: string, app: string, o: WorkloadOpts): Resource {
    return res(type, {
        metadata: { name, namespace, labels: labels(app) },
        spec: {
            replicas: o.replicas ?? 1,
            selector: { matchLabels: labels(app) },
            ...(o.serviceName ? { serviceName: o.serviceName } : {}),
            template: {
                metadata: { labels: { ...labels(app), "app.kubernetes.io/part-of": "m2m-platform" }, annotations: o.annotations },
                spec: podSpec(app, o.containers ?? [container(name)], {
                    ...(o.priorityClassName === null ? {} : { priorityClassName: o.priorityClassName ?? PLATFORM_CLASS }),
                    ...(o.spread ? placement(labels(app), o.spread) : {}),
                    ...o.pod,
                }),
            },
            ...(o.volumeClaimTemplates ? { volumeClaimTemplates: o.volumeClaimTemplates } : {}),
            ...o.spec,
        },
    });
}

export const HOSTNAME = "kubernetes.io/hostname";

/**
 * Topology spread over nodes and zones; `required` makes the node spread DoNotSchedule and
 * adds a required anti-affinity on the node (one replica per node), as placementSpec does.
 */
export function placement(selector: Record<string, string>, spread: "required" | "preferred"): Props {
    const labelSelector = { matchLabels: selector };
    const hard = spread === "required";
    return {
        topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway", labelSelector },
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector },
        ],
        ...(hard ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector }] } } } : {}),
    };
}

export function deployment(name: string, namespace: string, o: WorkloadOpts & { app?: string } = {}): Resource {
    return workload(T.deployment, name, namespace, o.app ?? name, o);
}

export function statefulSet(name: string, namespace: string, o: WorkloadOpts & { app?: string } = {}): Resource {
    return workload(T.statefulSet, name, namespace, o.app ?? name, { serviceName: name, ...o });
}

export function claim(name: string, size = "10Gi"): Props {
    return { metadata: { name }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } };
}

/** The ClusterIP the API server gave replica `i`'s Service (in these fixtures). */
export function replicaIp(i: number): string {
    return `10.96.0.${10 + i}`;
}

export function tigerbeetleAddresses(replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `${replicaIp(i)}:3000`);
}

/** Replica `i`'s own ClusterIP Service, selecting its pod alone, as the program registers it. */
export function replicaService(i: number, ns = "tigerbeetle"): Resource {
    const r = service(`tigerbeetle-replica-${i}`, ns, "tigerbeetle", [{ name: "tigerbeetle", port: 3000 }], { clusterIP: replicaIp(i), publishNotReadyAddresses: true });
    r.props.spec.selector = { ...r.props.spec.selector, "statefulset.kubernetes.io/pod-name": `tigerbeetle-${i}` };
    r.props.metadata.annotations = { "pulumi.com/skipAwait": "true" };
    return r;
}

/** The TigerBeetle StatefulSet as the program registers it. */
export function tigerbeetle(replicas = 3, clusterId = CLUSTER_ID): Resource {
    const sts = statefulSet("tigerbeetle", "tigerbeetle", {
        replicas,
        serviceName: "tigerbeetle-headless",
        spread: "required",
        containers: [
            container("tigerbeetle", {
                image: "ghcr.io/tigerbeetle/tigerbeetle:0.16.68",
                ports: [{ name: "tigerbeetle", containerPort: 3000 }],
                env: [
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "CLUSTER_ID", value: clusterId },
                    { name: "REPLICA_COUNT", value: String(replicas) },
                ],
                resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
                volumeMounts: [
                    { name: "data", mountPath: "/data" },
                    { name: "scripts", mountPath: "/scripts", readOnly: true },
                ],
            }),
        ],
        pod: { securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "Unconfined" } }, volumes: [{ name: "scripts", configMap: { name: "tigerbeetle-scripts" } }] },
        volumeClaimTemplates: [claim("data")],
        spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" } },
    });
    return sts;
}

export function namespace(name: string, enforce = "restricted"): Resource {
    return res(T.namespace, { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": enforce } } });
}

export function serviceAccount(name: string, ns: string): Resource {
    return res(T.serviceAccount, { metadata: { name, namespace: ns }, automountServiceAccountToken: false });
}

export function configMap(name: string, ns: string, data: Record<string, string>): Resource {
    return res(T.configMap, { metadata: { name, namespace: ns }, data });
}

export function secret(name: string, ns: string, stringData: Record<string, unknown>): Resource {
    return res(T.secret, { metadata: { name, namespace: ns }, type: "Opaque", stringData });
}

export function service(name: string, ns: string, app: string, ports: { name: string; port: number }[], extra: Props = {}): Resource {
    return res(T.service, {
        metadata: { name, namespace: ns, labels: labels(app) },
        spec: { type: "ClusterIP", selector: labels(app), ports: ports.map((p) => ({ ...p, targetPort: p.port, protocol: "TCP" })), ...extra },
    });
}

export function networkPolicy(name: string, ns: string, podSelector: Props, policyTypes: string[], rules: { ingress?: Props[]; egress?: Props[] } = {}): Resource {
    return res(T.networkPolicy, { metadata: { name, namespace: ns }, spec: { podSelector, policyTypes, ...rules } });
}

/** default-deny, allow-dns-egress and an ingress allow list for `app`, as namespaceFoundation + the tier add them. */
export function networkBaseline(ns: string, app: string): Resource[] {
    return [
        networkPolicy("default-deny", ns, {}, ["Ingress", "Egress"]),
        networkPolicy("allow-dns-egress", ns, {}, ["Egress"], { egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] }),
        networkPolicy(app, ns, { matchLabels: labels(app) }, ["Ingress", "Egress"], {
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "m2m-connector" } } }] }],
        }),
    ];
}

/** A PDB as disruptionBudget makes it: drains may evict unhealthy pods (AlwaysAllow) unless told otherwise. */
export function pdb(
    name: string,
    ns: string,
    app: string,
    budget: { minAvailable?: number | string; maxUnavailable?: number | string },
    unhealthyPodEvictionPolicy: "AlwaysAllow" | "IfHealthyBudget" = "AlwaysAllow",
): Resource {
    return res(T.pdb, { metadata: { name, namespace: ns }, spec: { selector: { matchLabels: labels(app) }, ...budget, unhealthyPodEvictionPolicy } });
}

/** A tier's PrometheusRule as components/alerts.ts makes it: one group with one alert rule on the namespace's series. */
export function prometheusRule(group: string, ns: string): Resource {
    const rule = { alert: "ScrapeTargetDown", expr: `up{namespace="${ns}"} == 0`, for: "5m", labels: { severity: "warning" }, annotations: { summary: "down" } };
    return res(T.prometheusRule, { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: `${group}-alerts`, namespace: ns }, spec: { groups: [{ name: group, rules: [rule] }] } });
}

/** A Velero Schedule backing up one namespace, volumes included, as components/backups.ts makes it. */
export function veleroSchedule(ns: string): Resource {
    return res(T.veleroSchedule, {
        apiVersion: "velero.io/v1",
        kind: "Schedule",
        metadata: { name: ns, namespace: "velero" },
        spec: { schedule: "0 2 * * *", template: { includedNamespaces: [ns], snapshotVolumes: true, ttl: "720h0m0s" } },
    });
}

export function priorityClass(name: string, value: number, preemptionPolicy: "PreemptLowerPriority" | "Never"): Resource {
    return res(T.priorityClass, { metadata: { name }, value, preemptionPolicy, description: name });
}

/** An autoscaled container's figures, as the program sets them: memory limit = request. */
export const AUTOSCALED = { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "512Mi" } };

/** An HPA also on memory, at the program's 85 % of requests. */
export function memoryHpa(h: Resource): Resource {
    h.props.spec.metrics.push({ type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 85 } } });
    return h;
}

/** The agency's HPA: also on the tenants' per-pod queue_length (served by the Prometheus Adapter). */
export function queueLengthHpa(h: Resource): Resource {
    h.props.spec.metrics.push({ type: "Pods", pods: { metric: { name: "queue_length" }, target: { type: "AverageValue", averageValue: "5" } } });
    return h;
}

/** A headless Service (the governing Service of a StatefulSet). */
export function headlessService(name: string, ns: string, app: string, ports: { name: string; port: number }[]): Resource {
    return service(name, ns, app, ports, { clusterIP: "None", publishNotReadyAddresses: true });
}

export function hpa(name: string, ns: string, target: { kind: string; name: string }, minReplicas: number, maxReplicas: number): Resource {
    return res(T.hpa, {
        metadata: { name, namespace: ns },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", ...target },
            minReplicas,
            maxReplicas,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        },
    });
}

export interface Route {
    host: string;
    path?: string;
    service: string;
    port: number;
}

export function ingress(name: string, ns: string, routes: Route[], tls = true): Resource {
    const hosts = [...new Set(routes.map((r) => r.host))];
    return res(T.ingress, {
        metadata: { name, namespace: ns },
        spec: {
            ingressClassName: "nginx",
            tls: tls ? [{ hosts, secretName: `${name}-tls` }] : undefined,
            rules: hosts.map((host) => ({
                host,
                http: {
                    paths: routes
                        .filter((r) => r.host === host)
                        .map((r) => ({ path: r.path ?? "/", pathType: "Prefix", backend: { service: { name: r.service, port: { number: r.port } } } })),
                },
            })),
        },
    });
}

/** The connector's two ConfigMaps listing `addresses`. */
export function connectorConfigMaps(addresses: string[], clusterId = CLUSTER_ID): Resource[] {
    const yaml = [
        "nodeId: agent-connector",
        "settlement:",
        "  enableSettlement: true",
        `  tigerBeetleClusterId: '${clusterId}'`,
        "  tigerBeetleReplicas:",
        ...addresses.map((a) => `    - ${a}`),
        "",
    ].join("\n");
    return [
        configMap("connector-config", "m2m-connector", { NODE_ID: "agent-connector", TIGERBEETLE_CLUSTER_ID: clusterId, TIGERBEETLE_REPLICAS: addresses.join(","), CONFIG_FILE: "/app/config.yaml" }),
        configMap("connector-app-config", "m2m-connector", { "config.yaml": yaml }),
    ];
}

/** A miniature of the prod platform that passes every policy of the pack. */
export function compliantStack(): Resource[] {
    const tb = tigerbeetle(3);
    return [
        // Scheduling: the platform's tiers above the tenants' autoscaled pods
        priorityClass(PLATFORM_CLASS, 100000, "PreemptLowerPriority"),
        priorityClass(TENANT_CLASS, 1000, "Never"),
        // TigerBeetle
        namespace("tigerbeetle", "privileged"),
        serviceAccount("tigerbeetle", "tigerbeetle"),
        configMap("tigerbeetle-cluster", "tigerbeetle", { clusterId: CLUSTER_ID, replicaCount: "3" }),
        headlessService("tigerbeetle-headless", "tigerbeetle", "tigerbeetle", [{ name: "tigerbeetle", port: 3000 }]),
        ...[0, 1, 2].map((i) => replicaService(i)),
        service("tigerbeetle", "tigerbeetle", "tigerbeetle", [{ name: "tigerbeetle", port: 3000 }]),
        tb,
        pdb("tigerbeetle", "tigerbeetle", "tigerbeetle", { minAvailable: 2 }, "IfHealthyBudget"),
        ...networkBaseline("tigerbeetle", "tigerbeetle"),
        prometheusRule("tigerbeetle", "tigerbeetle"),
        veleroSchedule("tigerbeetle"),
        // Connector
        namespace("m2m-connector"),
        serviceAccount("m2m-connector", "m2m-connector"),
        ...connectorConfigMaps(tigerbeetleAddresses(3)),
        secret("connector-secrets", "m2m-connector", { EVM_PRIVATE_KEY: `0x${"cd".repeat(32)}` }),
        deployment("connector", "m2m-connector", {
            replicas: 2,
            app: "m2m-connector",
            spread: "preferred",
            annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics" },
            containers: [
                container("connector", {
                    ports: [
                        { name: "btp", containerPort: 4000 },
                        { name: "http-metrics", containerPort: 8080 },
                        { name: "explorer", containerPort: 5173 },
                    ],
                    env: [{ name: "EVM_PRIVATE_KEY", valueFrom: { secretKeyRef: { name: "connector-secrets", key: "EVM_PRIVATE_KEY" } } }],
                    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "2Gi" } },
                }),
            ],
        }),
        service("connector", "m2m-connector", "m2m-connector", [{ name: "btp", port: 4000 }, { name: "http-metrics", port: 8080 }]),
        service("connector-explorer", "m2m-connector", "m2m-connector", [{ name: "explorer", port: 5173 }]),
        pdb("connector", "m2m-connector", "m2m-connector", { maxUnavailable: 1 }),
        ...networkBaseline("m2m-connector", "m2m-connector"),
        prometheusRule("connector", "m2m-connector"),
        ingress("connector", "m2m-connector", [
            { host: "btp.example.com", service: "connector", port: 4000 },
            { host: "explorer.example.com", service: "connector-explorer", port: 5173 },
        ]),
        // Agent runtime
        namespace("m2m-agent-runtime"),
        serviceAccount("m2m-agent-runtime", "m2m-agent-runtime"),
        configMap("agent-runtime-config", "m2m-agent-runtime", { PORT: "3100", BUSINESS_LOGIC_URL: "http://business-logic.my-agent.svc.cluster.local:8080" }),
        deployment("agent-runtime", "m2m-agent-runtime", { replicas: 2, spread: "preferred", containers: [container("agent-runtime", { ports: [{ name: "http", containerPort: 3100 }] })] }),
        service("agent-runtime", "m2m-agent-runtime", "agent-runtime", [{ name: "http", port: 3100 }]),
        pdb("agent-runtime", "m2m-agent-runtime", "agent-runtime", { maxUnavailable: 1 }),
        ...networkBaseline("m2m-agent-runtime", "agent-runtime"),
        prometheusRule("agent-runtime", "m2m-agent-runtime"),
        ingress("agent-runtime-spsp", "m2m-agent-runtime", [{ host: "pay.example.com", path: "/.well-known/pay", service: "agent-runtime", port: 3100 }]),
        // Business logic
        namespace("my-agent"),
        serviceAccount("business-logic", "my-agent"),
        deployment("business-logic", "my-agent", {
            replicas: 3,
            spread: "preferred",
            containers: [container("business-logic", { resources: AUTOSCALED, env: [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "DATABASE_URL" } } }] })],
        }),
        service("business-logic", "my-agent", "business-logic", [{ name: "http", port: 8080 }]),
        memoryHpa(hpa("business-logic-hpa", "my-agent", { kind: "Deployment", name: "business-logic" }, 2, 20)),
        pdb("business-logic", "my-agent", "business-logic", { maxUnavailable: 1 }),
        ...networkBaseline("my-agent", "business-logic"),
        prometheusRule("business-logic", "my-agent"),
        // AgentState
        namespace("agentstate"),
        serviceAccount("agentstate", "agentstate"),
        configMap("agentstate-config", "agentstate", {
            DATA_DIR: "/data",
            DEV_MODE: "false",
            CAP_KEY_ACTIVE_ID: "prod-2026-11",
            CAP_KEY_NEXT_ID: "prod-2027-02",
            TLS_CERT_FILE: "/tls/tls.crt",
            TLS_KEY_FILE: "/tls/tls.key",
        }),
        secret("agentstate-cap-keys", "agentstate", { CAP_KEY_ACTIVE: Buffer.alloc(32, 7).toString("base64"), CAP_KEY_NEXT: Buffer.alloc(32, 9).toString("base64") }),
        statefulSet("agentstate", "agentstate", {
            serviceName: "agentstate-headless",
            annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9090", "prometheus.io/path": "/metrics" },
            containers: [
                container("agentstate", {
                    image: "ghcr.io/agentstate/agentstate-server:v0.1.0-rc.1",
                    ports: [
                        { name: "api", containerPort: 8080 },
                        { name: "metrics", containerPort: 9090 },
                    ],
                    env: ["CAP_KEY_ACTIVE", "CAP_KEY_NEXT"].map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: "agentstate-cap-keys", key: k } } })),
                    volumeMounts: [
                        { name: "data", mountPath: "/data" },
                        { name: "tls", mountPath: "/tls", readOnly: true },
                    ],
                }),
            ],
            pod: { volumes: [{ name: "tls", secret: { secretName: "agentstate-tls" } }] },
            volumeClaimTemplates: [claim("data")],
        }),
        service("agentstate", "agentstate", "agentstate", [{ name: "api", port: 8080 }, { name: "metrics", port: 9090 }]),
        headlessService("agentstate-headless", "agentstate", "agentstate", [{ name: "api", port: 8080 }]),
        ...networkBaseline("agentstate", "agentstate"),
        prometheusRule("agentstate", "agentstate"),
        veleroSchedule("agentstate"),
        ingress("agentstate", "agentstate", [{ host: "state.example.com", service: "agentstate", port: 8080 }]),
        // One agency tenant
        namespace("client-a"),
        serviceAccount("agency-agent", "client-a"),
        statefulSet("agent", "client-a", {
            app: "agency-agent",
            serviceName: "agent-pods",
            priorityClassName: TENANT_CLASS,
            spread: "preferred",
            annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "3006", "prometheus.io/path": "/metrics" },
            containers: [...["agent", "health-monitor", "swarm"].map((c) => container(c, { resources: AUTOSCALED })), container("elastic-swarm", { resources: AUTOSCALED, ports: [{ name: "metrics", containerPort: 3006 }] })],
            volumeClaimTemplates: [claim("agent")],
        }),
        headlessService("agent-pods", "client-a", "agency-agent", [{ name: "api", port: 3000 }]),
        statefulSet("brain", "client-a", { app: "agency-brain", serviceName: "brain-pods", priorityClassName: TENANT_CLASS, containers: [container("brain", { ports: [{ name: "api", containerPort: 3002 }] })] }),
        headlessService("brain-pods", "client-a", "agency-brain", [{ name: "api", port: 3002 }]),
        queueLengthHpa(memoryHpa(hpa("agent-hpa", "client-a", { kind: "StatefulSet", name: "agent" }, 1, 5))),
        pdb("agent", "client-a", "agency-agent", { maxUnavailable: 1 }),
        networkPolicy("default-deny", "client-a", {}, ["Ingress", "Egress"]),
        networkPolicy("tenant-isolation", "client-a", {}, ["Ingress", "Egress"], { ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] }),
        prometheusRule("agency-client-a", "client-a"),
        veleroSchedule("client-a"),
    ];
}

/** Deep-copies `resources` and applies `edit` to each one `match` selects (at least one must match). */
export function mutate(resources: Resource[], match: (r: Resource) => boolean, edit: (props: Props, r: Resource) => void): Resource[] {
    let hits = 0;
    const out = resources.map((r) => {
        if (!match(r)) {
            return r;
        }
        hits++;
        const copy = { ...r, props: clone(r.props) };
        edit(copy.props, copy);
        return copy;
    });
    assert.ok(hits > 0, "mutate matched no resource");
    return out;
}

/** Matches the resource of `type` named `name` (and in `ns`, when given). */
export function named(type: string, name: string, ns?: string): (r: Resource) => boolean {
    return (r) => r.type === type && r.props.metadata?.name === name && (ns === undefined || r.props.metadata?.namespace === ns);
}

/** The first container of a workload's pod template. */
export function firstContainer(props: Props): Props {
    return props.spec.template.spec.containers[0];
}

/**
 * Asserts that exactly `expected.length` violations were reported and that each expected
 * fragment list is matched, in some violation, by all its fragments.
 */
export function expectViolations(violations: Violation[], expected: string[][]): void {
    assert.strictEqual(violations.length, expected.length, `expected ${expected.length} violation(s), got:\n${show(violations)}`);
    for (const fragments of expected) {
        assert.ok(
            violations.some((v) => fragments.every((f) => v.message.includes(f))),
            `no violation contains all of ${JSON.stringify(fragments)}:\n${show(violations)}`,
        );
    }
    for (const v of violations) {
        assert.match(v.message, /^(\S+ \S+|Stack): .+ \[(checklist|security) item S?\d+: [^\]]+\]\. Fix: .+/s, `message format: ${v.message}`);
    }
}

// ---------------------------------------------------------------------------------------
// Values unknown during preview

/** Puts the engine's unknown sentinel at `path` under `props` (every object on the way must exist). */
export function setUnknown(props: Props, ...path: (string | number)[]): void {
    let at: any = props;
    for (const key of path.slice(0, -1)) {
        at = at[key];
    }
    at[path[path.length - 1]] = UNKNOWN;
}

/** Deep-copied resources with the sentinel at `path` in each resource `match` selects. */
export function unknownAt(resources: Resource[], match: (r: Resource) => boolean, ...path: (string | number)[]): Resource[] {
    return mutate(resources, match, (p) => setUnknown(p, ...path));
}

/** The path of a workload's first container, for unknownAt(). */
export const FIRST_CONTAINER = ["spec", "template", "spec", "containers", 0] as const;

/**
 * What a real preview of the platform leaves unknown that no rule is about: a config
 * checksum annotation on every pod template (the connector's derives from the generated
 * cluster ID), TigerBeetle's cluster-id annotation, and the data of every Secret (generated
 * keys and passwords). A violation elsewhere must still be reported under them.
 */
export function withPreviewUnknowns(resources: Resource[]): Resource[] {
    return resources.map((r) => {
        const props = clone(r.props);
        if ([T.deployment, T.statefulSet].includes(r.type)) {
            const meta = (props.spec.template.metadata ??= {});
            meta.annotations = { ...(meta.annotations ?? {}), "checksum/config": UNKNOWN };
            if (props.metadata?.name === "tigerbeetle") {
                meta.annotations["m2m.platform/cluster-id"] = UNKNOWN;
            }
        } else if (r.type === T.secret) {
            for (const field of ["stringData", "data"]) {
                if (props[field] !== undefined) {
                    props[field] = UNKNOWN;
                }
            }
        } else {
            return r;
        }
        return { ...r, props };
    });
}

export const IMAGE_BUILD = "docker:index/image:Image";

/**
 * The workload `match` selects running an image the stack builds in this preview: a docker
 * Image resource without its repoDigest (as a real preview shows it; or with it unknown, or
 * known), the workload's first container image unknown, and its spec depending on the build,
 * as the engine's propertyDependencies say.
 */
export function builtImage(resources: Resource[], match: (r: Resource) => boolean, opts: { digest?: "absent" | "unknown" | "known"; dependency?: boolean } = {}): Resource[] {
    const digest = { absent: {}, unknown: { repoDigest: UNKNOWN }, known: { repoDigest: `registry.example.com/m2m/app${DIGEST}` } }[opts.digest ?? "absent"];
    const image: Resource = { type: IMAGE_BUILD, name: `image-${++counter}`, props: { imageName: "registry.example.com/m2m/app:v1.0.0", ...digest } };
    const withImage = mutate(resources, match, (p, r) => {
        setUnknown(p, ...FIRST_CONTAINER, "image");
        if (opts.dependency !== false) {
            r.propertyDependencies = { ...(r.propertyDependencies ?? {}), spec: [urnOf(image)] };
            r.dependencies = [...(r.dependencies ?? []), urnOf(image)];
        }
    });
    return [...withImage, image];
}

/**
 * Records what the engine's propertyDependencies tell stack policies: `property` of each
 * resource `match` selects is computed from the outputs of the resources `from` selects.
 */
export function derivedFrom(resources: Resource[], match: (r: Resource) => boolean, property: string, from: (r: Resource) => boolean): Resource[] {
    const sources = resources.filter(from).map(urnOf);
    assert.ok(sources.length > 0, "derivedFrom matched no source");
    let hits = 0;
    const out = resources.map((r) => {
        if (!match(r)) {
            return r;
        }
        hits++;
        const deps = r.propertyDependencies ?? {};
        return { ...r, propertyDependencies: { ...deps, [property]: [...(deps[property] ?? []), ...sources] }, dependencies: [...(r.dependencies ?? []), ...sources] };
    });
    assert.ok(hits > 0, "derivedFrom matched no resource");
    return out;
}

/** A random.RandomId as a preview shows it to stack policies: its inputs, no result yet. */
export function generatedId(name = "tigerbeetle-cluster-id"): Resource {
    return { type: "random:index/randomId:RandomId", name, props: { byteLength: 16 } };
}

/**
 * A stack's resources with one breach of each availability rule of issue 9, on objects the
 * program registers: TigerBeetle's placement softened (ScheduleAnyway, no anti-affinity), the
 * agent runtime unspread, AgentState without a PriorityClass, the business logic's liveness
 * the same as its readiness, the connector's PDB without unhealthyPodEvictionPolicy, and
 * PostgreSQL governed by its ClusterIP Service.
 */
export function withAvailabilityBreaches(resources: Resource[]): Resource[] {
    const pod = (p: Props) => p.spec.template.spec;
    const edits: [(r: Resource) => boolean, (p: Props) => void][] = [
        [
            named(T.statefulSet, "tigerbeetle"),
            (p) => {
                delete pod(p).affinity;
                pod(p).topologySpreadConstraints = pod(p).topologySpreadConstraints.map((c: Props) => ({ ...c, whenUnsatisfiable: "ScheduleAnyway" }));
            },
        ],
        [named(T.deployment, "agent-runtime"), (p) => delete pod(p).topologySpreadConstraints],
        [named(T.statefulSet, "agentstate"), (p) => delete pod(p).priorityClassName],
        [named(T.deployment, "business-logic"), (p) => (firstContainer(p).livenessProbe = firstContainer(p).readinessProbe)],
        [named(T.pdb, "connector"), (p) => delete p.spec.unhealthyPodEvictionPolicy],
        [named(T.statefulSet, "postgres"), (p) => (p.spec.serviceName = "postgres")],
    ];
    return edits.reduce((rs, [match, edit]) => mutate(rs, match, edit), resources);
}

/** The policy that catches each of withAvailabilityBreaches' breaches. */
export const AVAILABILITY_POLICIES = [
    "tigerbeetle-replicas-on-distinct-nodes",
    "workloads-spread-across-nodes",
    "pods-have-priority-class",
    "probes-liveness-differs-from-readiness",
    "disruption-budgets-let-drains-evict-unhealthy-pods",
    "statefulsets-have-headless-governing-service",
];
