// Shared helpers for every policy in the pack: the checklist items, the violation message
// format, reading policy config with its schema defaults, walking the pod specs of the
// workload kinds, label-selector matching, Kubernetes quantities, image pinning and the
// "looks like a secret" detector. Policy files import from here and nowhere else.
import {
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
} from "@pulumi/policy";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

// ---------------------------------------------------------------------------------------
// Checklist items

export interface ChecklistItem {
    /** "1".."11" for the production checklist, "S1".. for the security requirements. */
    id: string;
    title: string;
}

/** The production deployment checklist (seed 000), as the issue refines each line. */
export const CHECKLIST = {
    tigerbeetle: { id: "1", title: "TigerBeetle has 3+ replicas with persistent volumes" },
    connectorReplicas: { id: "2", title: "Connector configured with all TigerBeetle replica addresses" },
    resourceLimits: { id: "3", title: "Every container (Agent Runtime included) has resource requests and limits" },
    healthChecks: { id: "4", title: "Every long-running container (Business Logic included) has health checks" },
    networkPolicies: { id: "5", title: "Network policies restrict traffic between components" },
    secrets: { id: "6", title: "Secrets managed as Kubernetes Secrets, never in ConfigMaps or literal env" },
    autoscaling: { id: "7", title: "HPA configured for business logic and every agency tenant" },
    monitoring: { id: "8", title: "Monitoring: every metrics endpoint is scraped" },
    resourceBounds: { id: "9", title: "Resource requests/limits within the tuned bounds" },
    disruptionBudgets: { id: "10", title: "Pod Disruption Budgets configured for HA" },
    ingress: { id: "11", title: "Ingress only for the public endpoints, with TLS" },
} satisfies Record<string, ChecklistItem>;

/** Security requirements: the connector's security considerations (seed 001), AgentState's security section (seed 002) and Pod Security "restricted". */
export const SECURITY = {
    nonRoot: { id: "S1", title: "Containers run as a non-root user" },
    privilegeEscalation: { id: "S2", title: "No privilege escalation" },
    readOnlyRootFilesystem: { id: "S3", title: "Read-only root filesystem" },
    capabilities: { id: "S4", title: "All capabilities dropped" },
    privileged: { id: "S5", title: "No privileged containers" },
    hostAccess: { id: "S6", title: "No hostPath, hostNetwork, hostPID or hostIPC" },
    serviceAccount: { id: "S7", title: "Dedicated ServiceAccount without token automount" },
    imagePinning: { id: "S8", title: "Images pinned to a version tag or digest" },
    seccomp: { id: "S9", title: "Seccomp RuntimeDefault (documented TigerBeetle exception only)" },
    defaultNamespace: { id: "S10", title: "Nothing in the default namespace" },
    agentStateTls: { id: "S11", title: "AgentState serves TLS in production" },
    agentStateDevMode: { id: "S12", title: "AgentState dev mode off in production" },
} satisfies Record<string, ChecklistItem>;

export function itemLabel(item: ChecklistItem): string {
    return item.id.startsWith("S") ? `security item ${item.id}: ${item.title}` : `checklist item ${item.id}: ${item.title}`;
}

// ---------------------------------------------------------------------------------------
// Resource references and the violation message

export interface ResourceRef {
    kind: string;
    namespace?: string;
    name: string;
}

/** The Kubernetes kind of a Pulumi type token: `kubernetes:apps/v1:Deployment` → `Deployment`. */
export function kindOf(type: string): string {
    const parts = type.split(":");
    return parts[parts.length - 1];
}

/** Kinds that have no namespace. */
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ClusterIssuer",
]);

export function isClusterScoped(type: string): boolean {
    return CLUSTER_SCOPED.has(kindOf(type));
}

/** Kubernetes resources proper: not the provider, and not the component types (charts, YAML). */
export function isKubernetesObject(type: string): boolean {
    return /^kubernetes:[^:]+\/[^:]+:[A-Za-z]+$/.test(type) && !type.endsWith("List") && !type.startsWith("kubernetes:helm.sh/");
}

export function refOf(type: string, props: Record<string, any>, fallbackName?: string): ResourceRef {
    const kind = kindOf(type);
    const name = props?.metadata?.name ?? fallbackName ?? "<unnamed>";
    return isClusterScoped(type) ? { kind, name } : { kind, name, namespace: namespaceOf(props) };
}

/** The namespace a namespaced object lands in (the provider default, `default`, when unset). */
export function namespaceOf(props: Record<string, any>): string {
    const ns = props?.metadata?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

export function describe(ref: ResourceRef): string {
    return ref.namespace === undefined ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** `<kind> <namespace>/<name>: <problem> [checklist item N: <title>]. Fix: <fix>` */
export function message(ref: ResourceRef, problem: string, item: ChecklistItem, fix: string): string {
    return `${describe(ref)}: ${problem} [${itemLabel(item)}]. Fix: ${fix}`;
}

/** For stack-wide problems that belong to no single resource: `Stack: <problem> [...]. Fix: <fix>` */
export function stackMessage(problem: string, item: ChecklistItem, fix: string): string {
    return `Stack: ${problem} [${itemLabel(item)}]. Fix: ${fix}`;
}

// ---------------------------------------------------------------------------------------
// Policy config

/**
 * The policy's config: the schema defaults overlaid with what the CLI passes. The CLI fills
 * in the defaults itself, but reading them here too keeps a policy correct when it is run
 * without any config (e.g. by an older CLI or a test).
 */
export function configOf<T>(args: { getConfig<U extends object>(): U }, schema: PolicyConfigSchema): T {
    const defaults: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schema.properties)) {
        if (typeof prop === "object" && prop !== null && "default" in prop) {
            defaults[key] = (prop as { default?: unknown }).default;
        }
    }
    return { ...defaults, ...(args.getConfig<Record<string, unknown>>() ?? {}) } as T;
}

/** Case-insensitive regular expressions from config strings; an invalid one never matches. */
export function regexes(patterns: string[] | undefined): RegExp[] {
    return (patterns ?? []).flatMap((p) => {
        try {
            return [new RegExp(p, "i")];
        } catch {
            return [];
        }
    });
}

// ---------------------------------------------------------------------------------------
// Secret values

/** Unwraps Pulumi secrets (the wire sentinel or the policy SDK's `Secret`) to their plain value. */
export function plain<T = unknown>(value: unknown): T {
    return (isSecretValue(value) ? plain((value as { value: unknown }).value) : value) as T;
}

/** Whether a value is a Pulumi secret (the sentinel or the SDK wrapper). */
export function isSecretValue(value: unknown): boolean {
    if (value === null || typeof value !== "object") {
        return false;
    }
    const obj = value as Record<string, unknown>;
    return obj[specialSigKey] === specialSecretSig || (obj.constructor?.name === "Secret" && "value" in obj);
}

export function str(value: unknown): string | undefined {
    const v = plain(value);
    if (typeof v === "string") {
        return v;
    }
    if (typeof v === "number" || typeof v === "boolean") {
        return String(v);
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------
// "Looks like a secret"

export interface SecretDetectorConfig {
    /** Name fragments (regular expressions, case-insensitive) that mark a key as a credential. */
    secretNamePatterns: string[];
    /** Names that match a fragment but are not credentials (`CAP_KEY_ACTIVE_ID`, `TLS_KEY_FILE`). */
    exemptNamePatterns: string[];
}

export const SECRET_NAME_PATTERNS = ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE", "CREDENTIAL"];
export const EXEMPT_NAME_PATTERNS = ["_IDS?$", "^TLS_[A-Z0-9_]*_FILE$"];

/** The JSON schema properties shared by the policies that detect secrets. */
export const SECRET_DETECTOR_SCHEMA: PolicyConfigSchema["properties"] = {
    secretNamePatterns: {
        type: "array",
        items: { type: "string" },
        default: SECRET_NAME_PATTERNS,
        description: "Regular expressions (case-insensitive) that mark a key or variable name as secret material.",
    },
    exemptNamePatterns: {
        type: "array",
        items: { type: "string" },
        default: EXEMPT_NAME_PATTERNS,
        description: "Names matching one of these are not secrets even if they match secretNamePatterns (key ids, TLS file paths).",
    },
};

export function secretLikeName(name: string, cfg: SecretDetectorConfig): boolean {
    if (regexes(cfg.exemptNamePatterns).some((r) => r.test(name))) {
        return false;
    }
    return regexes(cfg.secretNamePatterns).some((r) => r.test(name));
}

const VALUE_PATTERNS: [RegExp, string][] = [
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
    [/\b0x[0-9a-fA-F]{64}\b/, "a 32-byte hex key (EVM private key format)"],
    [/[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i, "a URL with an embedded password"],
    [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, "a JSON Web Token"],
    [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
];

/** Why a value looks like key material, or undefined. */
export function secretLikeValue(value: string): string | undefined {
    for (const [re, what] of VALUE_PATTERNS) {
        if (re.test(value)) {
            return what;
        }
    }
    const v = value.trim();
    if (/^[A-Za-z0-9+/]{32,}={0,2}$/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v) && /[0-9]/.test(v)) {
        return "a base64 string of key length";
    }
    if (/^[0-9a-fA-F]{64}$/.test(v) && /[a-fA-F]/.test(v)) {
        return "a 32-byte hex string";
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------
// Workloads and their pod specs

/** Pulumi type → path to the pod template of each workload kind. */
const WORKLOAD_TEMPLATES: Record<string, (props: any) => { metadata?: any; spec?: any } | undefined> = {
    "kubernetes:apps/v1:Deployment": (p) => p?.spec?.template,
    "kubernetes:apps/v1:StatefulSet": (p) => p?.spec?.template,
    "kubernetes:apps/v1:DaemonSet": (p) => p?.spec?.template,
    "kubernetes:apps/v1:ReplicaSet": (p) => p?.spec?.template,
    "kubernetes:batch/v1:Job": (p) => p?.spec?.template,
    "kubernetes:batch/v1:CronJob": (p) => p?.spec?.jobTemplate?.spec?.template,
    "kubernetes:core/v1:Pod": (p) => ({ metadata: p?.metadata, spec: p?.spec }),
};

export const WORKLOAD_TYPES = Object.keys(WORKLOAD_TEMPLATES);

export interface ContainerRef {
    container: Record<string, any>;
    name: string;
    init: boolean;
}

export interface Workload {
    type: string;
    ref: ResourceRef;
    props: Record<string, any>;
    podSpec: Record<string, any>;
    podLabels: Record<string, string>;
    podAnnotations: Record<string, string>;
    /** spec.replicas (1 when unset) for Deployments, StatefulSets and ReplicaSets; undefined otherwise. */
    replicas?: number;
    /** Jobs and CronJobs run to completion; everything else is long-running. */
    longRunning: boolean;
    containers: ContainerRef[];
    urn?: string;
}

export function workloadOf(type: string, props: Record<string, any>, urn?: string, fallbackName?: string): Workload | undefined {
    const template = WORKLOAD_TEMPLATES[type];
    if (!template) {
        return undefined;
    }
    const t = template(props) ?? {};
    const podSpec = t.spec ?? {};
    const kind = kindOf(type);
    const replicated = ["Deployment", "StatefulSet", "ReplicaSet"].includes(kind);
    const containers: ContainerRef[] = [
        ...((podSpec.initContainers ?? []) as any[]).map((c) => ({ container: c ?? {}, name: c?.name ?? "<unnamed>", init: true })),
        ...((podSpec.containers ?? []) as any[]).map((c) => ({ container: c ?? {}, name: c?.name ?? "<unnamed>", init: false })),
    ];
    return {
        type,
        ref: refOf(type, props, fallbackName),
        props,
        podSpec,
        podLabels: stringMap(t.metadata?.labels),
        podAnnotations: stringMap(t.metadata?.annotations),
        replicas: replicated ? Number(plain(props?.spec?.replicas) ?? 1) : undefined,
        longRunning: kind !== "Job" && kind !== "CronJob",
        containers,
        urn,
    };
}

function stringMap(value: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    const v = plain<Record<string, unknown> | undefined>(value);
    if (v && typeof v === "object") {
        for (const [k, val] of Object.entries(v)) {
            const s = str(val);
            if (s !== undefined) {
                out[k] = s;
            }
        }
    }
    return out;
}

/** `container <name>` or `init container <name>`, for messages. */
export function containerLabel(c: ContainerRef): string {
    return `${c.init ? "init container" : "container"} ${c.name}`;
}

export type WorkloadValidation = (workload: Workload, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>;

/** A resource validation that runs on every workload kind and is not applicable to anything else. */
export function validateWorkloads(validate: WorkloadValidation): ResourceValidation {
    return (args, report) => {
        const workload = workloadOf(args.type, args.props, args.urn, args.name);
        if (!workload) {
            return args.notApplicable(`applies only to workloads (${WORKLOAD_TYPES.map(kindOf).join(", ")})`);
        }
        return validate(workload, args, report);
    };
}

/** Every workload in a stack. */
export function stackWorkloads(resources: PolicyResource[]): Workload[] {
    return resources.flatMap((r) => {
        const w = workloadOf(r.type, r.props, r.urn, r.name);
        return w ? [w] : [];
    });
}

/** The HorizontalPodAutoscalers (from `ofType(…, TYPES.hpa)`) whose scaleTargetRef is this workload. */
export function hpasTargeting<H extends PolicyResource & { ref: ResourceRef }>(hpas: H[], w: Workload): H[] {
    const kind = kindOf(w.type);
    return hpas.filter((h) => {
        const target = plain<Record<string, any>>(h.props.spec?.scaleTargetRef) ?? {};
        return h.ref.namespace === w.ref.namespace && target.kind === kind && target.name === w.ref.name;
    });
}

/** The resources of one Pulumi type in a stack, with their kind/namespace/name. */
export function ofType(resources: PolicyResource[], type: string): (PolicyResource & { ref: ResourceRef })[] {
    return resources.filter((r) => r.type === type).map((r) => ({ ...r, ref: refOf(r.type, r.props, r.name) }));
}

export const TYPES = {
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
} as const;

// ---------------------------------------------------------------------------------------
// Label selectors

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * Whether a label selector selects pods with `labels`. An empty selector selects every pod;
 * an absent one selects every pod only where the API says so (NetworkPolicy), never for PDBs.
 */
export function selects(selector: LabelSelector | undefined | null, labels: Record<string, string>, absentSelectsAll = false): boolean {
    const sel = plain<LabelSelector | undefined | null>(selector);
    if (sel === undefined || sel === null) {
        return absentSelectsAll;
    }
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
        if (labels[k] !== str(v)) {
            return false;
        }
    }
    for (const e of sel.matchExpressions ?? []) {
        const has = e.key in labels;
        const values = e.values ?? [];
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** A Service's `spec.selector` is a plain label map. */
export function serviceSelects(service: Record<string, any>, labels: Record<string, string>): boolean {
    const sel = plain<Record<string, string> | undefined>(service?.spec?.selector);
    if (!sel || Object.keys(sel).length === 0) {
        return false;
    }
    return selects({ matchLabels: sel }, labels);
}

// ---------------------------------------------------------------------------------------
// The platform's workloads by convention

export const NAME_LABEL = "app.kubernetes.io/name";
export const TIGERBEETLE_NAME = "tigerbeetle";
export const TIGERBEETLE_PORT = 3000;

/** TigerBeetle StatefulSets: the workload labelled app.kubernetes.io/name=tigerbeetle (or named so). */
export function isTigerBeetle(w: Workload): boolean {
    return kindOf(w.type) === "StatefulSet" && (w.podLabels[NAME_LABEL] === TIGERBEETLE_NAME || w.ref.name === TIGERBEETLE_NAME);
}

/** The majority of `replicas`. */
export function quorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

// ---------------------------------------------------------------------------------------
// Quantities

const SUFFIX: Record<string, number> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
    Ei: 1024 ** 6,
};

/** A Kubernetes quantity as a plain number (cores or bytes), or undefined if it is not one. */
export function parseQuantity(q: unknown): number | undefined {
    const v = plain(q);
    if (typeof v === "number") {
        return v;
    }
    if (typeof v !== "string") {
        return undefined;
    }
    const m = /^([+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(v.trim());
    return m ? Number(m[1]) * SUFFIX[m[2] ?? ""] : undefined;
}

/**
 * Resolves an int-or-percent (`2`, `"50%"`) against a total. Percentages round up, as the
 * disruption controller does for both minAvailable and maxUnavailable.
 */
export function intOrPercent(value: unknown, total: number): number | undefined {
    const v = plain(value);
    if (typeof v === "number") {
        return v;
    }
    if (typeof v === "string") {
        const pct = /^([0-9]+)%$/.exec(v.trim());
        if (pct) {
            return Math.ceil((Number(pct[1]) * total) / 100);
        }
        if (/^[0-9]+$/.test(v.trim())) {
            return Number(v);
        }
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------
// Images

/** Why an image reference is not pinned, or undefined when it is (a digest, or a tag other than latest). */
export function imagePinProblem(image: unknown): string | undefined {
    const ref = str(image);
    if (ref === undefined || ref.trim() === "") {
        return "has no image";
    }
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) {
        return undefined;
    }
    if (ref.includes("@")) {
        return `image ${ref} has a malformed digest`;
    }
    const last = ref.split("/").pop() ?? "";
    const colon = last.lastIndexOf(":");
    if (colon < 0) {
        return `image ${ref} has no tag (it means \`latest\`)`;
    }
    if (last.slice(colon + 1) === "latest") {
        return `image ${ref} uses the mutable tag \`latest\``;
    }
    return undefined;
}

