// Shared Kubernetes building blocks for every tier: recommended labels, the hardened
// security contexts, probes, resource figures, namespaces with their baseline network
// policies, services, PDBs and ingresses. Tiers compose these; none re-declares them.
import * as k8s from "@pulumi/kubernetes";
import { createHash, createHmac } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Credential, ExternalStore, RemoteRef, ResourceFigures } from "../config";

export type Container = k8s.types.input.core.v1.Container;
export type Probe = k8s.types.input.core.v1.Probe;
export type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
export type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

export const PART_OF = "m2m-platform";
export const MANAGED_BY = "pulumi";
/** The UID/GID every platform container runs as unless its image needs another. */
export const DEFAULT_UID = 1000;

/** CPU and memory requests and limits: declared with the config (config/types.ts), re-exported for the tiers. */
export type { ResourceFigures };

export interface Identity {
    /** `app.kubernetes.io/name`: what the workload is (`tigerbeetle`, `m2m-connector`). */
    name: string;
    /** `app.kubernetes.io/instance`: which deployment of it (the Pulumi resource name). */
    instance: string;
    /** `app.kubernetes.io/component`: its role in the platform (`ledger`, `gateway`). */
    component: string;
    /** `app.kubernetes.io/version`, when the image tag is known: on the pods only (podMetadata). */
    version?: string;
}

/**
 * The Kubernetes recommended labels for a workload and everything that belongs to it.
 * `app.kubernetes.io/version` is left to the pods (podMetadata): it follows the image, and
 * on the namespace, Services and policies it would make every image change touch them all.
 */
export function recommendedLabels(id: Identity): Record<string, string> {
    return {
        "app.kubernetes.io/name": id.name,
        "app.kubernetes.io/instance": id.instance,
        "app.kubernetes.io/component": id.component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    };
}

/** The immutable subset of the labels used in selectors (name + instance). */
export function selectorLabels(id: Identity): Record<string, string> {
    return {
        "app.kubernetes.io/name": id.name,
        "app.kubernetes.io/instance": id.instance,
    };
}

/** The tag of an image reference, when it is a literal with a tag (not a digest). */
export function imageTag(ref: pulumi.Input<string>): string | undefined {
    if (typeof ref !== "string") {
        return undefined;
    }
    const lastSegment = ref.split("@")[0].split("/").pop() ?? "";
    const colon = lastSegment.lastIndexOf(":");
    return colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
}

/** Prometheus scrape annotations for a pod template. */
export function scrapeAnnotations(port: number, path = "/metrics"): Record<string, string> {
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(port),
        "prometheus.io/path": path,
    };
}

export type SeccompProfile = "RuntimeDefault" | "Unconfined";

export interface PodSecurityOptions {
    uid?: number;
    /** Only TigerBeetle asks for `Unconfined` (io_uring); see the README. */
    seccomp?: SeccompProfile;
}

export function podSecurityContext(opts: PodSecurityOptions = {}): k8s.types.input.core.v1.PodSecurityContext {
    const uid = opts.uid ?? DEFAULT_UID;
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: opts.seccomp ?? "RuntimeDefault" },
    };
}

export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
    };
}

export interface ProbeTiming {
    initialDelaySeconds?: number;
    periodSeconds?: number;
    timeoutSeconds?: number;
    failureThreshold?: number;
}

export function httpProbe(path: string, port: number | string, timing: ProbeTiming = {}, scheme?: "HTTP" | "HTTPS"): Probe {
    return { httpGet: { path, port, ...(scheme ? { scheme } : {}) }, ...probeTiming(timing) };
}

export function tcpProbe(port: number | string, timing: ProbeTiming = {}): Probe {
    return { tcpSocket: { port }, ...probeTiming(timing) };
}

function probeTiming(t: ProbeTiming): ProbeTiming {
    return {
        initialDelaySeconds: t.initialDelaySeconds ?? 5,
        periodSeconds: t.periodSeconds ?? 10,
        timeoutSeconds: t.timeoutSeconds ?? 3,
        failureThreshold: t.failureThreshold ?? 3,
    };
}

/**
 * Liveness, readiness and (optionally) startup probes. Readiness asks the health endpoint,
 * which reports the dependencies, so an outage takes pods out of endpoints; liveness asks
 * only whether the process answers: its own endpoint where the service has one, else a TCP
 * connect. A dependency outage must not restart every pod.
 */
export function httpProbes(port: number | string, paths: { live?: string; ready: string; startup?: string }, scheme?: "HTTP" | "HTTPS") {
    const liveTiming = { initialDelaySeconds: 10, periodSeconds: 15 };
    return {
        livenessProbe: paths.live ? httpProbe(paths.live, port, liveTiming, scheme) : tcpProbe(port, liveTiming),
        readinessProbe: httpProbe(paths.ready, port, { initialDelaySeconds: 5, periodSeconds: 10 }, scheme),
        ...(paths.startup
            ? { startupProbe: httpProbe(paths.startup, port, { initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: 30 }) }
            : {}),
    };
}

const TMP_VOLUME = "tmp";

export interface ContainerArgs extends Omit<Container, "securityContext" | "resources" | "volumeMounts"> {
    resources: ResourceFigures;
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
}

/**
 * A container with the platform's hardened security context, its resources and a
 * writable `/tmp` (the root filesystem is read-only).
 */
export function hardenedContainer(args: ContainerArgs): Container {
    return {
        imagePullPolicy: "IfNotPresent",
        ...args,
        resources: args.resources,
        securityContext: containerSecurityContext(),
        volumeMounts: [...(args.volumeMounts ?? []), { name: TMP_VOLUME, mountPath: "/tmp" }],
    };
}

/** How a workload's replicas are placed: spread over nodes (and zones, where nodes carry them). */
export interface Placement {
    /** The workload whose pods are spread (its selector labels). */
    id: Identity;
    /**
     * `required`: one replica per node at most, or the pod stays pending (a quorum that
     * must survive a node loss); `preferred`: spread where possible (stateless tiers).
     */
    spread: "required" | "preferred";
}

export interface PodSpecArgs {
    serviceAccountName: pulumi.Input<string>;
    placement?: Placement;
    /** The PriorityClass: the platform's tiers rank above the tenants' autoscaled pods. */
    priorityClassName?: pulumi.Input<string>;
    /** The namespace foundation's registry pull Secret. */
    imagePullSecrets?: { name: pulumi.Input<string> }[];
    containers: Container[];
    initContainers?: Container[];
    volumes?: k8s.types.input.core.v1.Volume[];
    security?: PodSecurityOptions;
    terminationGracePeriodSeconds?: number;
}

/** A pod spec with its own ServiceAccount (token not mounted), the pod security context and `/tmp`. */
export function hardenedPodSpec(args: PodSpecArgs): k8s.types.input.core.v1.PodSpec {
    return {
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurityContext(args.security),
        terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? 30,
        initContainers: args.initContainers,
        containers: args.containers,
        volumes: [...(args.volumes ?? []), { name: TMP_VOLUME, emptyDir: { sizeLimit: "64Mi" } }],
        priorityClassName: args.priorityClassName,
        imagePullSecrets: args.imagePullSecrets?.length ? args.imagePullSecrets : undefined,
        ...(args.placement ? placementSpec(args.placement) : {}),
    };
}

const HOSTNAME = "kubernetes.io/hostname";
const ZONE = "topology.kubernetes.io/zone";

/** Topology spread over nodes and zones; `required` adds a hard anti-affinity on the node. */
function placementSpec(p: Placement): Pick<k8s.types.input.core.v1.PodSpec, "topologySpreadConstraints" | "affinity"> {
    const labelSelector = { matchLabels: selectorLabels(p.id) };
    const hard = p.spread === "required";
    return {
        topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway", labelSelector },
            // Nodes without a zone label count as one domain, so the zone spread stays soft.
            { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "ScheduleAnyway", labelSelector },
        ],
        ...(hard ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector }] } } } : {}),
    };
}

/** Pod template metadata: recommended labels, the version, and any annotations. */
export function podMetadata(id: Identity, annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>) {
    const labels = recommendedLabels(id);
    if (id.version) {
        labels["app.kubernetes.io/version"] = id.version;
    }
    return { labels, annotations };
}

// ---------------------------------------------------------------------------------------
// Namespace, service account and the per-namespace network baseline

export interface NamespaceFoundation {
    namespace: k8s.core.v1.Namespace;
    serviceAccount: k8s.core.v1.ServiceAccount;
    /** The namespace name as an output that resolves after the namespace exists. */
    name: pulumi.Output<string>;
    /** The registry pull Secret, for every pod of the namespace (empty without credentials). */
    imagePullSecrets: { name: pulumi.Output<string> }[];
}

/** A registry that needs credentials to pull from (the password from Pulumi secret config or the external store). */
export interface PullRegistry {
    server: string;
    username?: string;
    password?: Credential;
}

export interface FoundationArgs {
    namespace: string;
    id: Identity;
    /** Pod Security Admission level; `privileged` only where a tier documents why. */
    podSecurity?: "restricted" | "baseline" | "privileged";
    /**
     * The namespace holds claims (volumes with the tier's data). Pulumi then never deletes
     * it: removing the tier (a tenant offboarded, a `destroy`) deletes the workloads but
     * leaves the namespace and its claims; purging them is a separate, explicit step.
     */
    holdsData?: boolean;
    /** The registry the tier's images come from; with credentials, a pull Secret is made. */
    registry?: PullRegistry;
}

/**
 * The namespace a tier lives in, its dedicated ServiceAccount without token automount, a
 * default-deny NetworkPolicy for ingress and egress, and the DNS egress every pod needs.
 */
export function namespaceFoundation(parent: pulumi.Resource, prefix: string, args: FoundationArgs): NamespaceFoundation {
    const labels = recommendedLabels(args.id);
    const level = args.podSecurity ?? "restricted";
    const namespace = new k8s.core.v1.Namespace(
        `${prefix}-ns`,
        {
            metadata: {
                name: args.namespace,
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/warn": level,
                },
            },
        },
        { parent, retainOnDelete: args.holdsData === true },
    );
    const name = namespace.metadata.name;
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${prefix}-sa`,
        { metadata: { name: args.id.name, namespace: name, labels }, automountServiceAccountToken: false },
        { parent },
    );
    networkPolicy(parent, `${prefix}-default-deny`, {
        name: "default-deny",
        namespace: name,
        labels,
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
    });
    networkPolicy(parent, `${prefix}-allow-dns`, {
        name: "allow-dns-egress",
        namespace: name,
        labels,
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            {
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ],
    });
    const pull = registryPullSecret(parent, `${prefix}-registry-pull`, name, labels, args.registry);
    return { namespace, serviceAccount, name, imagePullSecrets: pull ? [{ name: pull.name }] : [] };
}

export interface NetworkPolicyArgs {
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: k8s.types.input.networking.v1.NetworkPolicyIngressRule[];
    egress?: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}

export function networkPolicy(parent: pulumi.Resource, resourceName: string, args: NetworkPolicyArgs) {
    return new k8s.networking.v1.NetworkPolicy(
        resourceName,
        {
            metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
            spec: {
                podSelector: args.podSelector,
                policyTypes: args.policyTypes,
                ingress: args.ingress,
                egress: args.egress,
            },
        },
        { parent },
    );
}

/**
 * The `kubernetes.io/dockerconfigjson` Secret `registry-pull` for a registry with
 * credentials, else undefined: from the password's Pulumi secret, or made by an
 * ExternalSecret whose template renders the same `.dockerconfigjson` from the remote key.
 */
function registryPullSecret(parent: pulumi.Resource, resourceName: string, namespace: pulumi.Input<string>, labels: Record<string, string>, registry?: PullRegistry) {
    if (!registry?.username || registry.password === undefined) {
        return undefined;
    }
    const { server, username, password } = registry;
    if (password.source === "externalSecrets") {
        return externalSecret(parent, resourceName, {
            name: "registry-pull",
            namespace,
            labels,
            store: password.store,
            type: "kubernetes.io/dockerconfigjson",
            data: { password: password.remote },
            template: { ".dockerconfigjson": dockerConfigTemplate(server, username) },
        });
    }
    const config = pulumi.secret(
        password.value.apply((pw) =>
            JSON.stringify({ auths: { [server]: { username, password: pw, auth: Buffer.from(`${username}:${pw}`).toString("base64") } } }),
        ),
    );
    const secret = new k8s.core.v1.Secret(
        resourceName,
        { metadata: { name: "registry-pull", namespace, labels }, type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": config } },
        { parent },
    );
    return { name: secret.metadata.name };
}

/**
 * ESO's template (engine v2, Go text/template with Sprig) for the `.dockerconfigjson` the
 * Pulumi source writes: `{"auths": {server: {username, password, auth}}}`, the password
 * JSON-quoted by `toJson` and `auth` base64 of `username:password`. Server and username
 * are plain config, written as JSON strings (which are Go string literals too).
 */
export function dockerConfigTemplate(server: string, username: string): string {
    const user = JSON.stringify(username);
    return `{"auths":{${JSON.stringify(server)}:{"username":${user},"password":{{ .password | toJson }},"auth":"{{ printf "%s:%s" ${user} .password | b64enc }}"}}}`;
}

// ---------------------------------------------------------------------------------------
// Credential Secrets: from Pulumi secret config, or made by the External Secrets Operator

/**
 * The External Secrets Operator API the program writes: `external-secrets.io/v1`, served
 * since ESO v0.16; v0.17 and later no longer serve v1beta1 (README, "Secrets from a vault").
 */
export const EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1";

export interface ExternalSecretArgs {
    /** The ExternalSecret's name and its target Secret's (the name the workloads read). */
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    store: ExternalStore;
    /** The target Secret's type, as the Pulumi source's Secret has it. */
    type: string;
    /** Secret key (or template variable) → the remote key ESO reads it from. */
    data: Record<string, RemoteRef>;
    /** The target's keys rendered from `data` (engine v2); without it, `data`'s keys are the Secret's. */
    template?: Record<string, string>;
}

/** A Secret the workloads read: its name resolves once it (or the ExternalSecret that makes it) exists. */
export interface CredentialSecret {
    name: pulumi.Output<string>;
}

/**
 * An ExternalSecret against the ClusterSecretStore: ESO creates and owns (creationPolicy
 * Owner) the Secret `args.name` with the same type, keys and labels the Pulumi source's
 * Secret has, and reads the store again every refreshInterval. Pulumi holds the mapping
 * only: no value passes through the program or its state.
 */
export function externalSecret(parent: pulumi.Resource, resourceName: string, args: ExternalSecretArgs): CredentialSecret {
    const es = new k8s.apiextensions.CustomResource(
        resourceName,
        {
            apiVersion: EXTERNAL_SECRETS_API_VERSION,
            kind: "ExternalSecret",
            metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
            spec: externalSecretSpec(args),
        },
        { parent },
    );
    // The target's name, once the ExternalSecret exists: the workloads depend on it as they
    // depend on a Secret of the Pulumi source.
    return { name: es.metadata.name.apply(() => args.name) };
}

function externalSecretSpec(args: ExternalSecretArgs) {
    return {
        refreshInterval: args.store.refreshInterval,
        secretStoreRef: { kind: "ClusterSecretStore", name: args.store.store },
        target: {
            name: args.name,
            creationPolicy: "Owner",
            template: {
                type: args.type,
                engineVersion: "v2",
                // With a template, ESO sets these labels on the Secret (not the ExternalSecret's).
                metadata: { labels: args.labels },
                ...(args.template ? { data: args.template } : {}),
            },
        },
        data: Object.entries(args.data).map(([secretKey, remote]) => ({ secretKey, remoteRef: remoteRef(remote) })),
    };
}

function remoteRef(r: RemoteRef) {
    return { key: r.key, ...(r.property !== undefined ? { property: r.property } : {}), ...(r.version !== undefined ? { version: r.version } : {}) };
}

export interface CredentialSecretArgs {
    /** The Secret's name: the same whichever the source, so no workload changes between the two. */
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    /** The Secret's type, when it sets one. */
    type?: string;
    /** Secret key → credential; all from one source (the config layer reads them so). */
    data: Record<string, Credential>;
}

/**
 * The Secret holding operator-supplied credentials: a Secret from their Pulumi secrets, or
 * an ExternalSecret that makes the same Secret (name, keys, type) from their remote keys.
 */
export function credentialSecret(parent: pulumi.Resource, resourceName: string, args: CredentialSecretArgs): CredentialSecret {
    const entries = Object.entries(args.data);
    const external = entries.flatMap(([k, c]) => (c.source === "externalSecrets" ? [[k, c] as const] : []));
    if (external.length > 0) {
        if (external.length !== entries.length) {
            throw new Error(`${args.name}: credentials from two sources in one Secret`);
        }
        return externalSecret(parent, resourceName, {
            name: args.name,
            namespace: args.namespace,
            labels: args.labels,
            store: external[0][1].store,
            type: args.type ?? "Opaque",
            data: Object.fromEntries(external.map(([k, c]) => [k, c.remote])),
        });
    }
    const values = Object.fromEntries(entries.map(([k, c]) => [k, valueOf(c)]));
    const secret = new k8s.core.v1.Secret(
        resourceName,
        { metadata: { name: args.name, namespace: args.namespace, labels: args.labels }, ...(args.type ? { type: args.type } : {}), stringData: values },
        { parent },
    );
    return { name: secret.metadata.name };
}

/** A Pulumi-source credential's value (an empty secret for one from the store: the program has none). */
export function valueOf(c: Credential): pulumi.Output<string> {
    return c.source === "pulumi" ? c.value : pulumi.secret("");
}

/** Whether any of the credentials comes from the external store. */
export function fromStore(credentials: Credential[]): boolean {
    return credentials.some((c) => c.source === "externalSecrets");
}

/**
 * The pod-template checksum of credentials from the external store. The program never sees
 * their values, so it hashes where ESO reads them (store, remote keys, refresh interval): a
 * new mapping rolls the pods; a new value in the vault does not (README: a restart, or
 * Reloader, picks it up).
 */
export function storeChecksum(credentials: Record<string, Credential>): pulumi.Output<string> {
    const refs = Object.entries(credentials).map(([k, c]) => [k, c.source === "externalSecrets" ? { store: c.store, remote: remoteRef(c.remote) } : null]);
    return configChecksum(refs);
}

/**
 * Stakater Reloader's annotation for a workload reading Secrets that ESO writes: with
 * Reloader in the cluster, a rotated value rolls the workload; without it, it is inert.
 */
export function reloadOnChange(secretNames: string[]): Record<string, string> {
    return secretNames.length > 0 ? { "secret.reloader.stakater.com/reload": secretNames.join(",") } : {};
}

/** Pods in another namespace (optionally only those with the given labels). */
export function inNamespace(namespace: pulumi.Input<string>, podLabels?: Record<string, string>): NetworkPolicyPeer {
    return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
    };
}

/** Pods in the policy's own namespace with the given labels. */
export function podsLabelled(podLabels: Record<string, string>): NetworkPolicyPeer {
    return { podSelector: { matchLabels: podLabels } };
}

/** Destinations outside the cluster's private ranges: the public internet only. */
export function publicInternet(): NetworkPolicyPeer {
    return { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] } };
}

export function tcpPorts(...ports: number[]): NetworkPolicyPort[] {
    return ports.map((port) => ({ protocol: "TCP", port }));
}

// ---------------------------------------------------------------------------------------
// Services, PDBs, ingresses, autoscalers

export interface ServicePort {
    name: string;
    port: number;
    targetPort?: number | string;
}

export interface ServiceArgs {
    name: string;
    namespace: pulumi.Input<string>;
    id: Identity;
    ports: ServicePort[];
    /** Headless service for StatefulSet identities; DNS records exist before readiness. */
    headless?: boolean;
    /**
     * One StatefulSet pod (by its name) instead of all the workload's pods: a ClusterIP of its
     * own, which lives as long as the Service, whatever IP the pod gets when it moves. Its
     * not-ready addresses are published (a replica is reached while it starts).
     */
    pod?: string;
}

/**
 * The Kubernetes provider (4.25) waits after creating or updating a Service until 10 s after
 * the last change to its endpoints, whether or not a pod backs it yet, holding one of the
 * engine's parallel slots (bench/: about 10 s per Service on the critical path). A ClusterIP
 * Service routes as soon as the API server has it; what becomes ready is its workload, which
 * the provider does await. And a replica Service's workload reads its IP: it cannot wait for
 * that workload's pods.
 */
const SERVICE_ANNOTATIONS = { "pulumi.com/skipAwait": "true" };

/** The label the StatefulSet controller puts on each of its pods, naming it. */
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

/** A ClusterIP (or headless) Service selecting the workload's pods, or one of them. */
export function clusterService(parent: pulumi.Resource, resourceName: string, args: ServiceArgs) {
    return new k8s.core.v1.Service(
        resourceName,
        {
            metadata: {
                name: args.name,
                namespace: args.namespace,
                labels: recommendedLabels(args.id),
                annotations: SERVICE_ANNOTATIONS,
            },
            spec: {
                type: "ClusterIP",
                ...(args.headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
                ...(args.pod ? { publishNotReadyAddresses: true } : {}),
                selector: { ...selectorLabels(args.id), ...(args.pod ? { [POD_NAME_LABEL]: args.pod } : {}) },
                ports: args.ports.map((p) => ({
                    name: p.name,
                    port: p.port,
                    targetPort: p.targetPort ?? p.port,
                    protocol: "TCP",
                })),
            },
        },
        { parent },
    );
}

/** In-cluster DNS name of a Service. */
export function serviceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.cluster.local`;
}

export interface DisruptionArgs {
    name: string;
    namespace: pulumi.Input<string>;
    id: Identity;
    minAvailable?: number;
    maxUnavailable?: number;
    /**
     * `AlwaysAllow` (the default here) lets a drain evict pods that are not Ready, so a
     * crash-looping tier never blocks node maintenance; a quorum (TigerBeetle) keeps
     * `IfHealthyBudget`, so an unready replica that may be catching up is not evicted while
     * the budget is spent.
     */
    unhealthyPodEvictionPolicy?: "AlwaysAllow" | "IfHealthyBudget";
}

export function disruptionBudget(parent: pulumi.Resource, resourceName: string, args: DisruptionArgs) {
    return new k8s.policy.v1.PodDisruptionBudget(
        resourceName,
        {
            metadata: { name: args.name, namespace: args.namespace, labels: recommendedLabels(args.id) },
            spec: {
                selector: { matchLabels: selectorLabels(args.id) },
                minAvailable: args.minAvailable,
                maxUnavailable: args.maxUnavailable,
                unhealthyPodEvictionPolicy: args.unhealthyPodEvictionPolicy ?? "AlwaysAllow",
            },
        },
        { parent },
    );
}

export interface IngressSettings {
    className: string;
    /** Namespace of the ingress controller, admitted by the tiers' network policies. */
    controllerNamespace: string;
    /** An existing TLS secret name (per namespace) or a cert-manager ClusterIssuer. */
    tls?: { secretName?: string; clusterIssuer?: string };
}

export interface IngressRoute {
    host: string;
    path: string;
    pathType?: "Prefix" | "Exact";
    service: string;
    port: number;
}

export interface IngressArgs {
    name: string;
    namespace: pulumi.Input<string>;
    id: Identity;
    settings: IngressSettings;
    routes: IngressRoute[];
    annotations?: Record<string, string>;
}

/** An Ingress for the given routes, with TLS for each host when the settings carry TLS. */
export function publicIngress(parent: pulumi.Resource, resourceName: string, args: IngressArgs) {
    const hosts = [...new Set(args.routes.map((r) => r.host))];
    const tls = args.settings.tls;
    const annotations: Record<string, string> = { ...(args.annotations ?? {}) };
    if (tls?.clusterIssuer) {
        annotations["cert-manager.io/cluster-issuer"] = tls.clusterIssuer;
    }
    return new k8s.networking.v1.Ingress(
        resourceName,
        {
            metadata: { name: args.name, namespace: args.namespace, labels: recommendedLabels(args.id), annotations },
            spec: {
                ingressClassName: args.settings.className,
                // Its own Secret name: a workload's in-cluster certificate (`<name>-tls`) is another.
                tls: tls ? [{ hosts, secretName: tls.secretName ?? `${args.name}-public-tls` }] : undefined,
                rules: hosts.map((host) => ({
                    host,
                    http: {
                        paths: args.routes
                            .filter((r) => r.host === host)
                            .map((r) => ({
                                path: r.path,
                                pathType: r.pathType ?? "Prefix",
                                backend: { service: { name: r.service, port: { number: r.port } } },
                            })),
                    },
                })),
            },
        },
        { parent },
    );
}

/** The scheme for a public endpoint: https/wss with TLS, http/ws without. */
export function publicScheme(settings: IngressSettings | undefined, kind: "http" | "ws"): string {
    const secure = Boolean(settings?.tls);
    return kind === "http" ? (secure ? "https" : "http") : secure ? "wss" : "ws";
}

export interface AutoscalerArgs {
    name: string;
    namespace: pulumi.Input<string>;
    id: Identity;
    target: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    cpuUtilization: number;
    memoryUtilization: number;
    extraMetrics?: k8s.types.input.autoscaling.v2.MetricSpec[];
}

/** An autoscaling/v2 HPA on CPU and memory utilisation (plus any extra metrics). */
export function autoscaler(parent: pulumi.Resource, resourceName: string, args: AutoscalerArgs) {
    const utilisation = (name: string, averageUtilization: number): k8s.types.input.autoscaling.v2.MetricSpec => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        resourceName,
        {
            metadata: { name: args.name, namespace: args.namespace, labels: recommendedLabels(args.id) },
            spec: {
                scaleTargetRef: args.target,
                minReplicas: args.minReplicas,
                maxReplicas: args.maxReplicas,
                metrics: [
                    utilisation("cpu", args.cpuUtilization),
                    utilisation("memory", args.memoryUtilization),
                    ...(args.extraMetrics ?? []),
                ],
            },
        },
        { parent },
    );
}

/** A PersistentVolumeClaim template for a StatefulSet. */
export function volumeClaim(name: string, size: string, storageClass?: string): k8s.types.input.core.v1.PersistentVolumeClaim {
    return {
        metadata: { name },
        spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: storageClass,
            resources: { requests: { storage: size } },
        },
    };
}

/** StatefulSet PVCs stay when the set is deleted or scaled down: ledger data is never collateral. */
export const RETAIN_CLAIMS = { whenDeleted: "Retain", whenScaled: "Retain" };

/** Env vars read from a ConfigMap or Secret key by key. */
export function envFromSecret(secretName: pulumi.Input<string>, keys: string[]): k8s.types.input.core.v1.EnvVar[] {
    return keys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } }));
}

/** A stable hash of rendered configuration, for a pod-template annotation that rolls pods on change. */
/**
 * A checksum of secret values, for a pod template annotation, so that rotating a secret the
 * pods read rolls them. It is an HMAC under a key the stack generates once (a secret in
 * state), so the annotation, which is plaintext on the API server, reveals nothing about
 * the values, however few bits they carry.
 */
export function secretChecksum(parent: pulumi.Resource, resourceName: string, ...secrets: pulumi.Input<unknown>[]): pulumi.Output<string> {
    const key = new random.RandomBytes(resourceName, { length: 32 }, { parent });
    const mac = pulumi.all([key.hex, ...secrets]).apply(([k, ...values]) => createHmac("sha256", k).update(JSON.stringify(values)).digest("hex"));
    return pulumi.unsecret(mac);
}

export function configChecksum(...parts: pulumi.Input<unknown>[]): pulumi.Output<string> {
    return pulumi.all(parts).apply((values) => createHash("sha256").update(JSON.stringify(values)).digest("hex"));
}
