// Shared helpers for every policy in the pack: the checklist items, the violation message
// format, reading policy config with its schema defaults, reading props safely when values
// are unknown during preview, walking the pod specs of the workload kinds, label-selector
// matching, placement over nodes (spread constraints, anti-affinity terms), Kubernetes
// quantities, image pinning and the "looks like a secret" detector.
// Policy files import from here and nowhere else.
import {
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
} from "@pulumi/policy";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

// ---------------------------------------------------------------------------------------
// Checklist items

export interface ChecklistItem {
    /** "1".."11" for the production checklist, "S1".. for the security requirements. */
    id: string;
    title: string;
}

/**
 * The production deployment checklist (seed 000, items 1-11), as the issues refine each line;
 * item 12 comes from the review of the prod stack (issue 9).
 */
export const CHECKLIST = {
    tigerbeetle: { id: "1", title: "TigerBeetle has 3+ replicas, one per node, with persistent volumes" },
    connectorReplicas: { id: "2", title: "Connector configured with all TigerBeetle replica addresses" },
    resourceLimits: { id: "3", title: "Every container (Agent Runtime included) has resource requests and limits" },
    healthChecks: { id: "4", title: "Every long-running container (Business Logic included) has health checks" },
    networkPolicies: { id: "5", title: "Network policies restrict traffic between components" },
    secrets: { id: "6", title: "Secrets managed as Kubernetes Secrets, never in ConfigMaps or literal env" },
    autoscaling: { id: "7", title: "HPA configured for business logic and every agency tenant" },
    monitoring: { id: "8", title: "Monitoring: every metrics endpoint is scraped" },
    alerting: { id: "8", title: "Alerting: every namespace with workloads has alert rules" },
    resourceBounds: { id: "9", title: "Resource requests/limits within the tuned bounds" },
    disruptionBudgets: { id: "10", title: "Pod Disruption Budgets, node spread and priorities configured for HA" },
    ingress: { id: "11", title: "Ingress only for the public endpoints, with TLS" },
    statefulIdentity: { id: "12", title: "Every StatefulSet is governed by a headless Service (stable pod DNS names)" },
    backups: { id: "13", title: "Every stateful workload's claims are backed up on a schedule (TigerBeetle guide: daily automated backups)" },
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
    /** UNKNOWN when metadata.namespace is unknown during preview; compare with sameNamespace(). */
    namespace?: string | Unknown;
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

/**
 * Kind, namespace and name of an object. An unknown metadata.name falls back to the Pulumi
 * resource name (always known), so messages still say which object is meant.
 */
export function refOf(type: string, props: unknown, fallbackName?: string): ResourceRef {
    const kind = kindOf(type);
    const n = str(get(props, "metadata", "name"));
    const name = typeof n === "string" ? n : (fallbackName ?? "<unnamed>");
    return isClusterScoped(type) ? { kind, name } : { kind, name, namespace: namespaceOf(props) };
}

/** The namespace a namespaced object lands in (the provider default, `default`, when unset), or UNKNOWN. */
export function namespaceOf(props: unknown): string | Unknown {
    const ns = str(get(props, "metadata", "namespace"));
    if (isUnknown(ns)) {
        return UNKNOWN;
    }
    return ns !== undefined && ns !== "" ? ns : "default";
}

/** Whether two objects are in the same namespace; never true when either namespace is unknown. */
export function sameNamespace(a: ResourceRef, b: ResourceRef): boolean {
    return !isUnknown(a.namespace) && !isUnknown(b.namespace) && a.namespace === b.namespace;
}

export function describe(ref: ResourceRef): string {
    if (ref.namespace === undefined) {
        return `${ref.kind} ${ref.name}`;
    }
    return `${ref.kind} ${isUnknown(ref.namespace) ? "<unknown>" : ref.namespace}/${ref.name}`;
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
// Values unknown during preview
//
// During a preview the engine hands each policy the resource's props inside
// @pulumi/policy's unknown-checking proxy: reading a value that is unknown until apply (a
// generated ID, a pushed image digest, anything derived from them) throws UnknownValueError,
// and the analyzer then reports the whole policy as "can't run … during preview", advisory.
// Reading *through* an unknown throws too: Object.entries, spreading, JSON.stringify,
// for..of over a container that holds one. So policies never read props directly: they use
// get(), list(), entries() and the typed readers below, which return UNKNOWN for such a
// value without touching it, and each policy decides at the call site what UNKNOWN means
// for its rule.
//
// How the check works: the proxy's get trap throws on the unknown field itself, but it has
// no getOwnPropertyDescriptor trap, so the parent's descriptor shows the raw value. An
// unknown arrives as one of @pulumi/policy's sentinel strings (the CLI sends the string one
// for every unknown). A read that still throws UnknownValueError is caught by class or name.

/** @pulumi/policy's proxy module. It is internal, so it ships without type declarations. */
interface ProxyModule {
    UnknownValueError: new (...args: any[]) => Error;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyModule: ProxyModule = require("@pulumi/policy/proxy");

const SENTINELS = new Set<unknown>([
    proxyModule.unknownBooleanValue,
    proxyModule.unknownNumberValue,
    proxyModule.unknownStringValue,
    proxyModule.unknownArrayValue,
    proxyModule.unknownAssetValue,
    proxyModule.unknownArchiveValue,
    proxyModule.unknownObjectValue,
    unknownValue,
]);

/** Stands for a value that is unknown during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;
export type Maybe<T> = T | Unknown;

/** How messages name an unknown value. */
export const UNKNOWN_TEXT = "unknown during preview";

/** Whether `value` is unknown during preview (UNKNOWN, or a raw sentinel read without the proxy). */
export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN || (typeof value === "string" && SENTINELS.has(value));
}

/** Whether `e` is @pulumi/policy's UnknownValueError (by class, or by name for another copy of the SDK). */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof proxyModule.UnknownValueError || (e instanceof Error && e.constructor?.name === "UnknownValueError");
}

/** Runs `read` and returns UNKNOWN if it reads an unknown value. */
export function tryKnown<T>(read: () => T): Maybe<T> {
    try {
        return read();
    } catch (e) {
        if (isUnknownValueError(e)) {
            return UNKNOWN;
        }
        throw e;
    }
}

/** obj[key], own properties only: UNKNOWN when unknown, undefined when absent, secrets unwrapped. */
function child(obj: unknown, key: string | number): unknown {
    if (isUnknown(obj)) {
        return UNKNOWN;
    }
    if (obj === null || typeof obj !== "object") {
        return undefined;
    }
    const desc = Object.getOwnPropertyDescriptor(obj, String(key));
    if (desc === undefined) {
        return undefined;
    }
    if ("value" in desc && isUnknown(desc.value)) {
        return UNKNOWN;
    }
    return known(tryKnown(() => (obj as Record<string, unknown>)[String(key)]));
}

/** A value with its secret wrapper removed and a raw sentinel turned into UNKNOWN. */
function known(value: unknown): unknown {
    if (isUnknown(value)) {
        return UNKNOWN;
    }
    return isSecretValue(value) ? child(value, "value") : value;
}

/**
 * The value at `path` under `obj`: UNKNOWN when it, or an object on the way to it, is unknown
 * during preview; undefined when absent. Reads only the fields on the path.
 */
export function get(obj: unknown, ...path: (string | number)[]): unknown {
    return path.reduce<unknown>((v, key) => child(v, key), known(obj));
}

/** A string, or UNKNOWN; numbers and booleans as strings; undefined for anything else. */
export function str(value: unknown): Maybe<string> | undefined {
    const v = known(value);
    if (isUnknown(v) || typeof v === "string") {
        return v;
    }
    if (typeof v === "number" || typeof v === "boolean") {
        return String(v);
    }
    return undefined;
}

/** A number (or a decimal string), or UNKNOWN; undefined for anything else. */
export function num(value: unknown): Maybe<number> | undefined {
    const v = known(value);
    if (isUnknown(v) || typeof v === "number") {
        return v;
    }
    if (typeof v === "string" && /^[+-]?[0-9]+(\.[0-9]+)?$/.test(v.trim())) {
        return Number(v);
    }
    return undefined;
}

/** A boolean, or UNKNOWN; undefined for anything else. */
export function bool(value: unknown): Maybe<boolean> | undefined {
    const v = known(value);
    return isUnknown(v) || typeof v === "boolean" ? v : undefined;
}

/** The elements of an array (each possibly UNKNOWN), UNKNOWN when the array is; [] when absent or not an array. */
export function list(value: unknown): Maybe<unknown[]> {
    const v = known(value);
    if (isUnknown(v)) {
        return UNKNOWN;
    }
    if (!Array.isArray(v)) {
        return [];
    }
    // Object.getOwnPropertyDescriptor does not go through the proxy's get trap.
    const length = Object.getOwnPropertyDescriptor(v, "length")?.value as number;
    return Array.from({ length }, (_, i) => child(v, i));
}

/** The keys of an object (known even when values are not), UNKNOWN when the object is; [] when absent. */
export function keys(value: unknown): Maybe<string[]> {
    const v = known(value);
    if (isUnknown(v)) {
        return UNKNOWN;
    }
    // Object.keys uses the proxy's (absent) ownKeys trap, never get: it reads no value.
    return v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
}

/** The entries of an object, each value possibly UNKNOWN; UNKNOWN when the object is; [] when absent. */
export function entries(value: unknown): Maybe<[string, unknown][]> {
    const ks = keys(value);
    return isUnknown(ks) ? UNKNOWN : ks.map((k) => [k, child(value, k)]);
}

/** A value for a message: the value itself, or <unknown>. */
export function shown(value: unknown): string {
    return isUnknown(value) ? "<unknown>" : String(value);
}

// ---------------------------------------------------------------------------------------
// Secret values

/** Unwraps Pulumi secrets (the wire sentinel or the policy SDK's `Secret`) to their plain value, or UNKNOWN. */
export function plain<T = unknown>(value: unknown): T {
    return known(value) as T;
}

/** Whether a value is a Pulumi secret (the sentinel or the SDK wrapper). */
export function isSecretValue(value: unknown): boolean {
    if (value === null || typeof value !== "object") {
        return false;
    }
    const sig = Object.getOwnPropertyDescriptor(value, specialSigKey)?.value;
    return sig === specialSecretSig || (value.constructor?.name === "Secret" && Object.getOwnPropertyDescriptor(value, "value") !== undefined);
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
/**
 * Key ids, and `*_FILE` variables: the convention (TLS_KEY_FILE, POSTGRES_PASSWORD_FILE) for
 * the path of a file that holds the value, mounted from a Secret. A path is not the secret;
 * its literal value is still checked for key material like any other.
 */
export const EXEMPT_NAME_PATTERNS = ["_IDS?$", "_FILE$"];

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
        description: "Names matching one of these are not secrets even if they match secretNamePatterns (key ids, paths of files that hold the value).",
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
const WORKLOAD_TEMPLATES: Record<string, string[]> = {
    "kubernetes:apps/v1:Deployment": ["spec", "template"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template"],
    "kubernetes:batch/v1:Job": ["spec", "template"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template"],
    "kubernetes:core/v1:Pod": [],
};

export const WORKLOAD_TYPES = Object.keys(WORKLOAD_TEMPLATES);

export interface ContainerRef {
    /** The container object, or UNKNOWN (an unknown element, or the whole list unknown). */
    container: unknown;
    name: string;
    init: boolean;
}

/** Label values, each possibly UNKNOWN; the whole map UNKNOWN when it is unknown. */
export type Labels = Maybe<Record<string, Maybe<string>>>;

export interface Workload {
    type: string;
    ref: ResourceRef;
    props: Record<string, any>;
    /** The pod spec (possibly UNKNOWN); read it with get(). */
    podSpec: unknown;
    podLabels: Labels;
    /** spec.replicas (1 when unset) for Deployments, StatefulSets and ReplicaSets, possibly UNKNOWN; undefined otherwise. */
    replicas?: Maybe<number>;
    /** Jobs and CronJobs run to completion; everything else is long-running. */
    longRunning: boolean;
    containers: ContainerRef[];
    urn?: string;
}

/** One pod-template annotation: its value, UNKNOWN (present, value unknown), or undefined (absent). */
export function podAnnotation(w: Workload, key: string): Maybe<string> | undefined {
    const annotations = get(templateOf(w.type, w.props), "metadata", "annotations");
    return str(get(annotations, key));
}

function templateOf(type: string, props: unknown): unknown {
    return get(props, ...(WORKLOAD_TEMPLATES[type] ?? []));
}

/** A map of label values (each possibly UNKNOWN), or UNKNOWN. */
export function labelsOf(value: unknown): Labels {
    const es = entries(value);
    if (isUnknown(es)) {
        return UNKNOWN;
    }
    const out: Record<string, Maybe<string>> = {};
    for (const [k, v] of es) {
        const s = str(v);
        if (s !== undefined) {
            out[k] = s;
        }
    }
    return out;
}

/** One label's value, UNKNOWN when it (or the whole map) is unknown, undefined when absent. */
export function labelValue(labels: Labels, key: string): Maybe<string> | undefined {
    return isUnknown(labels) ? UNKNOWN : labels[key];
}

function containersOf(podSpec: unknown, field: "initContainers" | "containers", init: boolean): ContainerRef[] {
    const cs = list(get(podSpec, field));
    if (isUnknown(cs)) {
        // The list itself is unknown: one entry stands for all of it, so every per-container
        // rule meets it and decides what an unknown container means.
        return [{ container: UNKNOWN, name: "<unknown>", init }];
    }
    return cs.map((c) => {
        const name = str(get(c, "name"));
        return { container: c ?? {}, name: typeof name === "string" ? name : "<unknown>", init };
    });
}

/**
 * A workload's pod template, read lazily and safely: building it reads only the names of the
 * containers, the pod labels and spec.replicas, and none of them throws when unknown.
 */
export function workloadOf(type: string, props: Record<string, any>, urn?: string, fallbackName?: string): Workload | undefined {
    if (!(type in WORKLOAD_TEMPLATES)) {
        return undefined;
    }
    const t = templateOf(type, props);
    const podSpec = type === "kubernetes:core/v1:Pod" ? get(props, "spec") : get(t, "spec");
    const kind = kindOf(type);
    const replicated = ["Deployment", "StatefulSet", "ReplicaSet"].includes(kind);
    const replicas = replicated ? num(get(props, "spec", "replicas")) ?? 1 : undefined;
    return {
        type,
        ref: refOf(type, props, fallbackName),
        props,
        podSpec: podSpec ?? {},
        podLabels: labelsOf(get(t, "metadata", "labels")),
        replicas,
        longRunning: kind !== "Job" && kind !== "CronJob",
        containers: [...containersOf(podSpec, "initContainers", true), ...containersOf(podSpec, "containers", false)],
        urn,
    };
}

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

/** A container port named like a metrics port: its container, its name and its number. */
export interface MetricsPort {
    container: string;
    name: string;
    port: Maybe<number>;
}

/**
 * The container ports whose names match `patterns` (regular expressions). A port whose
 * name is unknown during preview, or a port list that is, is not taken for a metrics port:
 * the rules key on the port names, which the program writes literally.
 */
export function metricsPorts(w: Workload, patterns: string[]): MetricsPort[] {
    const res = regexes(patterns);
    return w.containers.flatMap((c) => {
        const ports = list(get(c.container, "ports"));
        return (isUnknown(ports) ? [] : ports).flatMap((p) => {
            const name = str(get(p, "name"));
            const port = num(get(p, "containerPort"));
            return typeof name === "string" && res.some((r) => r.test(name)) ? [{ container: c.name, name, port: port ?? NaN }] : [];
        });
    });
}

/** Every workload in a stack. */
export function stackWorkloads(resources: PolicyResource[]): Workload[] {
    return resources.flatMap((r) => {
        const w = workloadOf(r.type, r.props, r.urn, r.name);
        return w ? [w] : [];
    });
}

/**
 * Whether an HPA (from `ofType(…, TYPES.hpa)`) targets this workload: UNKNOWN when its
 * namespace or scaleTargetRef is unknown and the known parts do not rule it out.
 */
export function hpaTargets(h: PolicyResource & { ref: ResourceRef }, w: Workload): Maybe<boolean> {
    const target = get(h.props, "spec", "scaleTargetRef");
    const kind = str(get(target, "kind"));
    const name = str(get(target, "name"));
    const parts = [kind === kindOf(w.type), name === w.ref.name];
    if (!isUnknown(h.ref.namespace) && !isUnknown(w.ref.namespace) && h.ref.namespace !== w.ref.namespace) {
        return false;
    }
    if ((!isUnknown(kind) && !parts[0]) || (!isUnknown(name) && !parts[1])) {
        return false;
    }
    return isUnknown(kind) || isUnknown(name) || isUnknown(h.ref.namespace) || isUnknown(w.ref.namespace) ? UNKNOWN : true;
}

/**
 * The most replicas a workload can run: spec.replicas, or the maxReplicas of an HPA that
 * targets it when larger. Unknown counts (its own, an HPA's maxReplicas, an HPA that may
 * target it) make the known maximum a lower bound: it is returned when it already exceeds
 * one, else UNKNOWN.
 */
export function maxReplicas(w: Workload, hpas: (PolicyResource & { ref: ResourceRef })[]): Maybe<number> {
    let unknown = isUnknown(w.replicas);
    let max = isUnknown(w.replicas) ? 0 : (w.replicas ?? 0);
    for (const h of hpas) {
        const targets = hpaTargets(h, w);
        const hpaMax = num(get(h.props, "spec", "maxReplicas")) ?? 0;
        if (targets === false) {
            continue;
        }
        if (isUnknown(targets) || isUnknown(hpaMax)) {
            unknown = true;
        } else {
            max = Math.max(max, hpaMax);
        }
    }
    return unknown && max <= 1 ? UNKNOWN : max;
}

/** The HorizontalPodAutoscalers (from `ofType(…, TYPES.hpa)`) known to target this workload. */
export function hpasTargeting<H extends PolicyResource & { ref: ResourceRef }>(hpas: H[], w: Workload): H[] {
    return hpas.filter((h) => hpaTargets(h, w) === true);
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
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    priorityClass: "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    veleroSchedule: "kubernetes:velero.io/v1:Schedule",
} as const;

// ---------------------------------------------------------------------------------------
// Label selectors

/** Three-valued AND: false wins, then UNKNOWN, then true. */
function all(results: Maybe<boolean>[]): Maybe<boolean> {
    if (results.includes(false)) {
        return false;
    }
    return results.some(isUnknown) ? UNKNOWN : true;
}

/**
 * Whether a label selector selects pods with `labels`: UNKNOWN when an unknown selector
 * field or label value leaves it open. An empty selector selects every pod; an absent one
 * selects every pod only where the API says so (NetworkPolicy), never for PDBs.
 */
export function selects(selector: unknown, labels: Labels, absentSelectsAll = false): Maybe<boolean> {
    const sel = get(selector);
    if (isUnknown(sel)) {
        return UNKNOWN;
    }
    if (sel === undefined || sel === null) {
        return absentSelectsAll;
    }
    const matchLabels = entries(get(sel, "matchLabels"));
    const expressions = list(get(sel, "matchExpressions"));
    if (isUnknown(matchLabels) || isUnknown(expressions)) {
        return UNKNOWN;
    }
    if (matchLabels.length === 0 && expressions.length === 0) {
        return true;
    }
    if (isUnknown(labels)) {
        return UNKNOWN;
    }
    const results: Maybe<boolean>[] = matchLabels.map(([k, v]) => {
        const want = str(v);
        const have = labels[k];
        return isUnknown(want) || isUnknown(have) ? UNKNOWN : have === want;
    });
    for (const e of expressions) {
        results.push(matchesExpression(e, labels));
    }
    return all(results);
}

function matchesExpression(e: unknown, labels: Record<string, Maybe<string>>): Maybe<boolean> {
    const key = str(get(e, "key"));
    const operator = str(get(e, "operator"));
    const values = list(get(e, "values"));
    if (isUnknown(key) || isUnknown(operator)) {
        return UNKNOWN;
    }
    if (key === undefined) {
        return false;
    }
    const has = key in labels;
    const value = labels[key];
    const among = (): Maybe<boolean> => {
        if (isUnknown(values) || isUnknown(value)) {
            return UNKNOWN;
        }
        const vs = values.map((v) => str(v));
        if (vs.includes(value)) {
            return true;
        }
        return vs.some(isUnknown) ? UNKNOWN : false;
    };
    switch (operator) {
        case "In":
            return has ? among() : false;
        case "NotIn": {
            if (!has) {
                return true;
            }
            const a = among();
            return isUnknown(a) ? UNKNOWN : !a;
        }
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
        default:
            return false;
    }
}

/** Whether a Service's `spec.selector` (a plain label map) selects pods with `labels`; an empty or absent one selects none. */
export function serviceSelects(service: unknown, labels: Labels): Maybe<boolean> {
    const sel = get(service, "spec", "selector");
    const ks = keys(sel);
    if (isUnknown(ks)) {
        return UNKNOWN;
    }
    if (ks.length === 0) {
        return false;
    }
    return selects({ matchLabels: sel }, labels);
}

// ---------------------------------------------------------------------------------------
// Placement over nodes

/** The node label every node carries: a topology domain of one node. */
export const HOSTNAME_KEY = "kubernetes.io/hostname";

/** One entry of a pod's topologySpreadConstraints, its fields read safely (each possibly UNKNOWN). */
export interface SpreadConstraint {
    /** `topologySpreadConstraints[i]`, for messages. */
    at: string;
    topologyKey: Maybe<string> | undefined;
    whenUnsatisfiable: Maybe<string> | undefined;
    maxSkew: Maybe<number> | undefined;
    minDomains: Maybe<number> | undefined;
    /** Whether its labelSelector selects the workload's own pods (an absent one selects none). */
    selectsOwnPods: Maybe<boolean>;
}

/** The workload's pod topology spread constraints; UNKNOWN when the list is. */
export function spreadConstraints(w: Workload): Maybe<SpreadConstraint[]> {
    const cs = list(get(w.podSpec, "topologySpreadConstraints"));
    if (isUnknown(cs)) {
        return UNKNOWN;
    }
    return cs.map((c, i) => ({
        at: `topologySpreadConstraints[${i}]`,
        topologyKey: str(get(c, "topologyKey")),
        whenUnsatisfiable: str(get(c, "whenUnsatisfiable")),
        maxSkew: num(get(c, "maxSkew")),
        minDomains: num(get(c, "minDomains")),
        selectsOwnPods: selects(get(c, "labelSelector"), w.podLabels, false),
    }));
}

/** One podAntiAffinity term (required, or the podAffinityTerm of a preferred one), read safely. */
export interface AntiAffinityTerm {
    /** `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[i]` (or preferred…), for messages. */
    at: string;
    required: boolean;
    topologyKey: Maybe<string> | undefined;
    /** Whether its labelSelector selects the workload's own pods (an absent one selects none). */
    selectsOwnPods: Maybe<boolean>;
    /** Whether the namespaces it looks in include the workload's own. */
    ownNamespace: Maybe<boolean>;
}

/** Three-valued OR: true wins, then UNKNOWN, then false. */
export function anyTrue(results: Maybe<boolean>[]): Maybe<boolean> {
    if (results.includes(true)) {
        return true;
    }
    return results.some(isUnknown) ? UNKNOWN : false;
}

/**
 * Whether a pod affinity term looks in the workload's own namespace: it does when it names
 * no namespaces and has no namespaceSelector (the pod's own namespace), when `namespaces`
 * lists it, or when namespaceSelector selects it by its `kubernetes.io/metadata.name` label
 * (an empty selector selects every namespace). A selector on other namespace labels cannot
 * be judged from the workload: not known to include it, so false.
 */
function termCoversOwnNamespace(term: unknown, w: Workload): Maybe<boolean> {
    const names = list(get(term, "namespaces"));
    const selector = get(term, "namespaceSelector");
    if (!isUnknown(names) && names.length === 0 && (selector === undefined || selector === null)) {
        return true;
    }
    const own = namespaceOf(w.props);
    if (isUnknown(own)) {
        return UNKNOWN;
    }
    const listed: Maybe<boolean> = isUnknown(names) ? UNKNOWN : anyTrue(names.map((n) => (isUnknown(str(n)) ? UNKNOWN : str(n) === own)));
    const bySelector: Maybe<boolean> = selector === undefined || selector === null ? false : selects(selector, { "kubernetes.io/metadata.name": own }, false);
    return anyTrue([listed, bySelector]);
}

/** One condition of a rule on an object. */
export interface Condition {
    holds: Maybe<boolean>;
    /** How it fails, for the message. */
    fails: string;
    /** The field it reads, named when it is unknown. */
    field: string;
}

/** How an object measures up to a rule's conditions. */
export interface Judgement {
    /** false when a condition fails, else UNKNOWN when one is unknown, else true. */
    holds: Maybe<boolean>;
    /** How each failing condition fails. */
    failing: string[];
    /** The fields of the conditions that are unknown. */
    unknown: string[];
}

export function judge(conditions: Condition[]): Judgement {
    const failing = conditions.filter((c) => c.holds === false).map((c) => c.fails);
    const unknown = conditions.filter((c) => isUnknown(c.holds)).map((c) => c.field);
    return { holds: failing.length > 0 ? false : unknown.length > 0 ? UNKNOWN : true, failing, unknown };
}

/** Whether a read value equals `want`: UNKNOWN when it is unknown. */
export function is(value: unknown, want: unknown): Maybe<boolean> {
    return isUnknown(value) ? UNKNOWN : value === want;
}

/** The workload's pod anti-affinity terms, required and preferred; each list UNKNOWN when it is. */
export function antiAffinityTerms(w: Workload): { required: Maybe<AntiAffinityTerm[]>; preferred: Maybe<AntiAffinityTerm[]> } {
    const anti = get(w.podSpec, "affinity", "podAntiAffinity");
    const read = (term: unknown, at: string, required: boolean): AntiAffinityTerm => ({
        at,
        required,
        topologyKey: str(get(term, "topologyKey")),
        selectsOwnPods: selects(get(term, "labelSelector"), w.podLabels, false),
        ownNamespace: termCoversOwnNamespace(term, w),
    });
    const requiredTerms = list(get(anti, "requiredDuringSchedulingIgnoredDuringExecution"));
    const preferredTerms = list(get(anti, "preferredDuringSchedulingIgnoredDuringExecution"));
    return {
        required: isUnknown(requiredTerms) ? UNKNOWN : requiredTerms.map((t, i) => read(t, `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, true)),
        preferred: isUnknown(preferredTerms)
            ? UNKNOWN
            : preferredTerms.map((t, i) => read(get(t, "podAffinityTerm"), `podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`, false)),
    };
}

// ---------------------------------------------------------------------------------------
// The platform's workloads by convention

export const NAME_LABEL = "app.kubernetes.io/name";
export const TIGERBEETLE_NAME = "tigerbeetle";
export const TIGERBEETLE_PORT = 3000;

/**
 * TigerBeetle StatefulSets: the workload labelled app.kubernetes.io/name=tigerbeetle (or named
 * so). An unknown label does not make a StatefulSet TigerBeetle: its name still can.
 */
export function isTigerBeetle(w: Workload): boolean {
    return kindOf(w.type) === "StatefulSet" && (labelValue(w.podLabels, NAME_LABEL) === TIGERBEETLE_NAME || w.ref.name === TIGERBEETLE_NAME);
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

/** A Kubernetes quantity as a plain number (cores or bytes), UNKNOWN, or undefined if it is not one. */
export function parseQuantity(q: unknown): Maybe<number> | undefined {
    const v = plain(q);
    if (isUnknown(v) || typeof v === "number") {
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
export function intOrPercent(value: unknown, total: number): Maybe<number> | undefined {
    const v = plain(value);
    if (isUnknown(v) || typeof v === "number") {
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
export function imagePinProblem(ref: string | undefined): string | undefined {
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

/** Pulumi types of images the stack builds and pushes itself; their `repoDigest` pins the pushed image. */
export const IMAGE_BUILD_TYPES = ["docker:index/image:Image", "docker-build:index:Image"];

// ---------------------------------------------------------------------------------------
// Provenance (stack policies)

/**
 * The resources a top-level property of a stack resource depends on, as the engine reports
 * them to stack policies (propertyDependencies); falls back to all its dependencies.
 */
export function propertySources(r: PolicyResource, property: string): PolicyResource[] {
    const deps = r.propertyDependencies?.[property];
    return deps && deps.length > 0 ? deps : (r.dependencies ?? []);
}
