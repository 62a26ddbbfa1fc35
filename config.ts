// All stack configuration is read and validated here, once, before any resource is
// registered. Tiers receive the typed `PlatformConfig`; none of them reads pulumi.Config.
//
// Every problem is collected and reported together, each naming the config key and the
// fix, so a bad stack fails in one `pulumi preview` with nothing touched.
import * as pulumi from "@pulumi/pulumi";
import { ResourceFigures } from "./components/kube";

export const PROJECT = "m2m-platform";

export type Environment = "dev" | "prod";

/** A prebuilt image reference, or a build that is pushed to the configured registry. */
export type ImageSpec =
    | { kind: "prebuilt"; ref: string }
    | {
          kind: "build";
          context: string;
          dockerfile?: string;
          target?: string;
          args?: Record<string, string>;
          repository: string;
          tag: string;
      };

export interface RegistryConfig {
    server: string;
    username?: string;
    password?: pulumi.Output<string>;
}

export interface IngressConfig {
    className: string;
    controllerNamespace: string;
    tls?: { secretName?: string; clusterIssuer?: string };
    hosts: { spsp: string; btp: string; explorer: string; agentState: string };
}

export interface HpaConfig {
    minReplicas: number;
    maxReplicas: number;
    cpuUtilization: number;
    memoryUtilization: number;
}

/** The TigerBeetle cluster ID: a fixed 128-bit decimal, or generated once with @pulumi/random. */
export type ClusterIdSpec = { mode: "fixed"; value: string } | { mode: "generate" };

export interface TigerBeetleConfig {
    namespace: string;
    replicas: number;
    clusterId: ClusterIdSpec;
    image: ImageSpec;
    storage: string;
    cacheGrid: string;
    resources: ResourceFigures;
}

export interface ConnectorSecrets {
    evmPrivateKey: pulumi.Output<string>;
    m2mTokenAddress: pulumi.Output<string>;
    tokenNetworkRegistry: pulumi.Output<string>;
}

export interface ConnectorConfig {
    namespace: string;
    replicas: number;
    image: ImageSpec;
    nodeId: string;
    logLevel: string;
    settlement: { enabled: boolean; preference: string; threshold: number; feePercentage: number };
    explorer: { enabled: boolean; retentionDays: number; maxEvents: number };
    localDeliveryTimeoutMs: number;
    /** Undefined only in dev: the tier then generates a throwaway key. */
    secrets?: ConnectorSecrets;
    resources: ResourceFigures;
}

export interface AgentRuntimeConfig {
    namespace: string;
    replicas: number;
    image: ImageSpec;
    nodeId: string;
    baseAddress: string;
    businessLogicTimeoutMs: number;
    sessionTtlMs: number;
    spspEnabled: boolean;
    logLevel: string;
    resources: ResourceFigures;
}

export type DatabaseConfig =
    | { mode: "postgres"; image: ImageSpec; storage: string; resources: ResourceFigures }
    | {
          mode: "external";
          url: pulumi.Output<string>;
          /**
           * Where the managed database is: the CIDRs (unset: any public address, outside the
           * private ranges) and the port the business logic may reach.
           */
          egress: { cidrs?: string[]; port: number };
      };

export interface BusinessLogicConfig {
    namespace: string;
    replicas: number;
    image: ImageSpec;
    logLevel: string;
    hpa: HpaConfig;
    database: DatabaseConfig;
    resources: ResourceFigures;
}

export interface AgentStateConfig {
    namespace: string;
    image: ImageSpec;
    region: string;
    storage: string;
    capKeys: { activeId: string; nextId: string };
    watchBufferSize: number;
    watchBufferBytes: number;
    /**
     * `certManager`: the service certificate comes from `issuer` (an in-cluster ClusterIssuer,
     * such as a company CA) or, unset, from a CA the program creates in AgentState's
     * namespace. Public ACME issuers refuse `*.svc.cluster.local` names.
     */
    tls: { mode: "none" } | { mode: "secret"; secretName: string } | { mode: "certManager"; issuer?: string };
    grafanaDashboard: boolean;
    resources: ResourceFigures;
}

export interface AgencyConfig {
    tenants: string[];
    namespacePrefix: string;
    image: ImageSpec;
    brainImage: ImageSpec;
    agentStorage: string;
    brainStorage: string;
    hpa: HpaConfig & { queueLengthTarget: number };
    resources: {
        agent: ResourceFigures;
        healthMonitor: ResourceFigures;
        swarm: ResourceFigures;
        elasticSwarm: ResourceFigures;
        brain: ResourceFigures;
    };
}

export interface PlatformConfig {
    stack: string;
    environment: Environment;
    storageClass?: string;
    registry?: RegistryConfig;
    ingress?: IngressConfig;
    monitoringNamespace: string;
    tigerbeetle: TigerBeetleConfig;
    connector: ConnectorConfig;
    agentRuntime: AgentRuntimeConfig;
    businessLogic: BusinessLogicConfig;
    agentState: AgentStateConfig;
    agency: AgencyConfig;
}

/** Raised with every problem in the stack config, each naming its key and fix. */
/**
 * Every problem in a stack's config. A `RunError`, so the engine prints the list once,
 * without a stack trace: the problems are the user's to fix, not the program's.
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

// ---------------------------------------------------------------------------------------
// Per-environment defaults (figures from the seeds; see README "Config reference")

const fig = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceFigures => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

export const TIGERBEETLE_IMAGE = "ghcr.io/tigerbeetle/tigerbeetle:0.16.68";
export const POSTGRES_IMAGE = "docker.io/library/postgres:16.6-alpine";
export const DEFAULT_NAMESPACES = {
    tigerbeetle: "tigerbeetle",
    connector: "m2m-connector",
    agentRuntime: "m2m-agent-runtime",
    businessLogic: "my-agent",
    agentState: "agentstate",
};

const DEFAULTS = {
    dev: {
        tigerbeetle: { replicas: 1, clusterId: "0", storage: "10Gi", cacheGrid: "256MiB", resources: fig("250m", "1Gi", "1", "1Gi") },
        connector: { replicas: 1, resources: fig("250m", "512Mi", "1000m", "1Gi") },
        agentRuntime: { replicas: 1, resources: fig("100m", "128Mi", "500m", "512Mi") },
        businessLogic: {
            replicas: 2,
            resources: fig("100m", "128Mi", "500m", "512Mi"),
            postgres: fig("100m", "256Mi", "500m", "512Mi"),
        },
        agentState: { resources: fig("100m", "128Mi", "500m", "512Mi") },
    },
    prod: {
        tigerbeetle: { replicas: 3, clusterId: "generate", storage: "10Gi", cacheGrid: "1GiB", resources: fig("1", "4Gi", "2", "4Gi") },
        connector: { replicas: 2, resources: fig("500m", "1Gi", "2000m", "2Gi") },
        agentRuntime: { replicas: 2, resources: fig("250m", "256Mi", "1000m", "1Gi") },
        businessLogic: {
            replicas: 3,
            resources: fig("200m", "256Mi", "1000m", "1Gi"),
            postgres: fig("250m", "512Mi", "1000m", "1Gi"),
        },
        agentState: { resources: fig("250m", "256Mi", "1000m", "1Gi") },
    },
};

const AGENCY_RESOURCES = {
    agent: fig("250m", "512Mi", "1000m", "1Gi"),
    healthMonitor: fig("50m", "64Mi", "200m", "256Mi"),
    swarm: fig("100m", "128Mi", "500m", "512Mi"),
    elasticSwarm: fig("50m", "64Mi", "200m", "256Mi"),
    brain: fig("250m", "512Mi", "1000m", "2Gi"),
};

/** Keys whose values are credentials: read as secrets, and required to be secret in prod. */
export const SECRET_KEYS = [
    "connectorEvmPrivateKey",
    "connectorM2mTokenAddress",
    "connectorTokenNetworkRegistry",
    "registryPassword",
    "businessLogicDatabaseUrl",
] as const;

/** Every key the project accepts, with the fields an object-valued key may carry. */
const KEYS: Record<string, readonly string[] | "scalar"> = {
    environment: "scalar",
    namespacePrefix: "scalar",
    namespaces: ["tigerbeetle", "connector", "agentRuntime", "businessLogic", "agentState"],
    storageClass: "scalar",
    registry: ["server", "username"],
    ingress: ["enabled", "className", "controllerNamespace", "tls", "hosts"],
    monitoring: ["namespace"],
    tigerbeetle: ["replicas", "clusterId", "image", "storage", "cacheGrid", "resources"],
    connector: ["replicas", "image", "nodeId", "logLevel", "settlement", "explorer", "localDeliveryTimeoutMs", "resources"],
    agentRuntime: [
        "replicas",
        "image",
        "nodeId",
        "baseAddress",
        "businessLogicTimeoutMs",
        "sessionTtlMs",
        "spspEnabled",
        "logLevel",
        "resources",
    ],
    businessLogic: ["replicas", "image", "logLevel", "hpa", "database", "resources"],
    agentState: [
        "image",
        "region",
        "storage",
        "capKeys",
        "watchBufferSize",
        "watchBufferBytes",
        "tls",
        "grafanaDashboard",
        "resources",
    ],
    agency: ["tenants", "image", "brainImage", "agentStorage", "brainStorage", "hpa", "resources"],
    ...Object.fromEntries(SECRET_KEYS.map((k) => [k, "scalar" as const])),
};

export const CONFIG_KEYS = Object.keys(KEYS);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
const BYTE_SIZE = /^[0-9]+(KiB|MiB|GiB)$/;
const LOG_LEVELS = ["debug", "info", "warn", "error"];
const MAX_CLUSTER_ID = (1n << 128n) - 1n;

// ---------------------------------------------------------------------------------------
// A small reader that tracks the key path of every value it reads

type Json = unknown;

class Reader {
    readonly problems: string[] = [];
    constructor(private readonly project: string) {}

    key(path: string): string {
        return `${this.project}:${path}`;
    }

    fail(path: string, problem: string, fix: string): undefined {
        this.problems.push(`${this.key(path)}: ${problem}. Fix: ${fix}`);
        return undefined;
    }

    object(path: string, value: Json, fields?: readonly string[]): Record<string, Json> {
        if (value === undefined || value === null) {
            return {};
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.fail(path, `expected an object, got ${JSON.stringify(value)}`, `set ${path} to a YAML mapping`);
            return {};
        }
        const obj = value as Record<string, Json>;
        if (fields) {
            for (const field of Object.keys(obj)) {
                if (!fields.includes(field)) {
                    this.fail(`${path}.${field}`, "unknown field", `remove it or use one of: ${fields.join(", ")}`);
                }
            }
        }
        return obj;
    }

    string(path: string, value: Json, def?: string): string | undefined {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        if (typeof value === "number" || typeof value === "boolean") {
            return String(value);
        }
        if (typeof value !== "string") {
            return this.fail(path, `expected a string, got ${JSON.stringify(value)}`, `set ${path} to a string`);
        }
        return value;
    }

    requiredString(path: string, value: Json, fix: string): string {
        const s = this.string(path, value);
        if (s === undefined) {
            this.fail(path, "is required", fix);
            return "";
        }
        return s;
    }

    oneOf<T extends string>(path: string, value: Json, allowed: readonly T[], def: T): T {
        const s = this.string(path, value, def);
        if (s === undefined || !(allowed as readonly string[]).includes(s)) {
            this.fail(path, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`, `set ${path} to one of ${allowed.join(", ")}`);
            return def;
        }
        return s as T;
    }

    int(path: string, value: Json, def: number, bounds: { min?: number; max?: number } = {}): number {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        const n = typeof value === "string" && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) {
            this.fail(path, `expected a whole number, got ${JSON.stringify(value)}`, `set ${path} to a whole number`);
            return def;
        }
        if (bounds.min !== undefined && n < bounds.min) {
            this.fail(path, `must be at least ${bounds.min}, got ${n}`, `set ${path} to ${bounds.min} or more`);
        }
        if (bounds.max !== undefined && n > bounds.max) {
            this.fail(path, `must be at most ${bounds.max}, got ${n}`, `set ${path} to ${bounds.max} or less`);
        }
        return n;
    }

    number(path: string, value: Json, def: number, bounds: { min?: number; max?: number } = {}): number {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        const n = typeof value === "string" ? Number(value) : value;
        if (typeof n !== "number" || Number.isNaN(n)) {
            this.fail(path, `expected a number, got ${JSON.stringify(value)}`, `set ${path} to a number`);
            return def;
        }
        if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) {
            this.fail(path, `must be between ${bounds.min} and ${bounds.max}, got ${n}`, `set ${path} within that range`);
        }
        return n;
    }

    bool(path: string, value: Json, def: boolean): boolean {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        if (typeof value === "boolean") {
            return value;
        }
        if (value === "true" || value === "false") {
            return value === "true";
        }
        this.fail(path, `expected true or false, got ${JSON.stringify(value)}`, `set ${path} to true or false`);
        return def;
    }

    quantity(path: string, value: Json, def: string): string {
        const s = this.string(path, value, def) ?? def;
        if (!QUANTITY.test(s)) {
            this.fail(path, `is not a Kubernetes quantity: ${JSON.stringify(s)}`, `use a quantity such as 500m, 1, 512Mi or 10Gi`);
        }
        return s;
    }

    resources(path: string, value: Json, def: ResourceFigures): ResourceFigures {
        const obj = this.object(path, value, ["requests", "limits"]);
        const req = this.object(`${path}.requests`, obj.requests, ["cpu", "memory"]);
        const lim = this.object(`${path}.limits`, obj.limits, ["cpu", "memory"]);
        const figures = {
            requests: {
                cpu: this.quantity(`${path}.requests.cpu`, req.cpu, def.requests.cpu),
                memory: this.quantity(`${path}.requests.memory`, req.memory, def.requests.memory),
            },
            limits: {
                cpu: this.quantity(`${path}.limits.cpu`, lim.cpu, def.limits.cpu),
                memory: this.quantity(`${path}.limits.memory`, lim.memory, def.limits.memory),
            },
        };
        for (const r of ["cpu", "memory"] as const) {
            const request = parseQuantity(figures.requests[r]);
            const limit = parseQuantity(figures.limits[r]);
            if (request !== undefined && limit !== undefined && limit < request) {
                this.fail(
                    `${path}.limits.${r}`,
                    `limit ${figures.limits[r]} is below the request ${figures.requests[r]}`,
                    `raise ${path}.limits.${r} to at least ${figures.requests[r]}`,
                );
            }
        }
        return figures;
    }

    /** The HPA bounds at `path`, and the raw fields (for the `extraFields` a caller reads itself). */
    hpa(path: string, value: Json, def: HpaConfig, extraFields: string[] = []): { config: HpaConfig; fields: Record<string, Json> } {
        const obj = this.object(path, value, ["minReplicas", "maxReplicas", "cpuUtilization", "memoryUtilization", ...extraFields]);
        const minReplicas = this.int(`${path}.minReplicas`, obj.minReplicas, def.minReplicas, { min: 1 });
        const maxReplicas = this.int(`${path}.maxReplicas`, obj.maxReplicas, def.maxReplicas, { min: 1 });
        if (maxReplicas < minReplicas) {
            this.fail(
                `${path}.maxReplicas`,
                `maxReplicas (${maxReplicas}) is below minReplicas (${minReplicas})`,
                `set ${path}.maxReplicas to at least ${minReplicas}, or lower minReplicas`,
            );
        }
        const config = {
            minReplicas,
            maxReplicas,
            cpuUtilization: this.int(`${path}.cpuUtilization`, obj.cpuUtilization, def.cpuUtilization, { min: 1, max: 100 }),
            memoryUtilization: this.int(`${path}.memoryUtilization`, obj.memoryUtilization, def.memoryUtilization, { min: 1, max: 100 }),
        };
        return { config, fields: obj };
    }
}

/** Parses a Kubernetes quantity to a plain number (cores or bytes), for comparisons. */
export function parseQuantity(q: string): number | undefined {
    const m = QUANTITY.exec(q);
    if (!m) {
        return undefined;
    }
    const scale: Record<string, number> = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
    };
    return Number(m[1]) * scale[m[3] ?? ""];
}

const MALFORMED_DIGEST = "has a malformed digest (expected @sha256: and 64 lowercase hex digits)";

/** Whether an image reference is pinned: a digest, or a tag other than `latest`. */
export function imagePinProblem(ref: string): string | undefined {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) {
        return undefined;
    }
    if (ref.includes("@")) {
        // The policy pack's images-are-pinned reads a digest the same way.
        return MALFORMED_DIGEST;
    }
    const last = ref.split("/").pop() ?? "";
    if (!last.includes(":")) {
        return "has no tag";
    }
    if (last.endsWith(":latest")) {
        return "uses the mutable tag `latest`";
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------

export interface RawConfig {
    /** Values keyed without the project prefix; object values already parsed from JSON. */
    values: Record<string, Json>;
    /** Keys the stack holds as secrets (`pulumi config set --secret`). */
    secretKeys: Set<string>;
    stack: string;
    project?: string;
}

/**
 * Validates a stack's raw config and returns the typed platform config, or throws a
 * ConfigError listing every problem. Pure: it registers no resource.
 */
export function parseConfig(raw: RawConfig): PlatformConfig {
    const project = raw.project ?? PROJECT;
    const r = new Reader(project);
    const v = raw.values;

    for (const key of Object.keys(v)) {
        if (!Object.prototype.hasOwnProperty.call(KEYS, key)) {
            r.fail(key, "unknown config key", `remove it, or check the spelling against Pulumi.yaml (known keys: ${CONFIG_KEYS.join(", ")})`);
        }
    }

    const environment = r.oneOf("environment", v.environment, ["dev", "prod"] as const, "dev");
    if (v.environment === undefined) {
        r.fail("environment", "is required", `run \`pulumi config set environment dev\` (or prod) for stack ${raw.stack}`);
    }
    const prod = environment === "prod";
    const d = DEFAULTS[environment];

    // Secrets: read as Pulumi secrets; in prod they must also be stored encrypted.
    const secret = (key: (typeof SECRET_KEYS)[number]): pulumi.Output<string> | undefined => {
        const value = r.string(key, v[key]);
        if (value === undefined) {
            return undefined;
        }
        if (prod && !raw.secretKeys.has(key)) {
            r.fail(key, "is stored in plaintext in the stack config", `run \`pulumi config set --secret ${key} <value>\``);
        }
        return pulumi.secret(value);
    };

    // Namespaces: a prefix and per-tier overrides, all distinct DNS labels.
    const prefix = r.string("namespacePrefix", v.namespacePrefix, "") ?? "";
    const nsOverrides = r.object("namespaces", v.namespaces, KEYS.namespaces as string[]);
    const namespaces = Object.fromEntries(
        Object.entries(DEFAULT_NAMESPACES).map(([tier, def]) => [
            tier,
            r.string(`namespaces.${tier}`, nsOverrides[tier]) ?? `${prefix}${def}`,
        ]),
    ) as typeof DEFAULT_NAMESPACES;
    for (const [tier, ns] of Object.entries(namespaces)) {
        namespaceName(r, nsOverrides[tier] !== undefined ? `namespaces.${tier}` : "namespacePrefix", ns);
    }
    const seen = new Map<string, string>();
    for (const [tier, ns] of Object.entries(namespaces)) {
        if (seen.has(ns)) {
            r.fail(`namespaces.${tier}`, `namespace ${ns} is also used by ${seen.get(ns)}`, "give every tier its own namespace");
        }
        seen.set(ns, tier);
    }

    // Registry for built images.
    const registryObj = r.object("registry", v.registry, KEYS.registry as string[]);
    const registryPassword = secret("registryPassword");
    const registry: RegistryConfig | undefined =
        registryObj.server !== undefined
            ? {
                  server: r.requiredString("registry.server", registryObj.server, "set registry.server to host[:port]"),
                  username: r.string("registry.username", registryObj.username),
                  password: registryPassword,
              }
            : undefined;

    const image = (path: string, value: Json, repoName: string, def?: string): ImageSpec => {
        if (value === undefined || value === null || value === "") {
            if (def === undefined) {
                r.fail(path, "is required", `set ${path} to a prebuilt reference (registry/name:tag) or to {context, dockerfile} to build it`);
                return { kind: "prebuilt", ref: "" };
            }
            value = def;
        }
        if (typeof value === "string") {
            const problem = imagePinProblem(value);
            if (problem && (prod || problem === MALFORMED_DIGEST)) {
                r.fail(path, `image ${value} ${problem}`, `pin ${path} to an explicit version tag or an @sha256 digest`);
            }
            return { kind: "prebuilt", ref: value };
        }
        const b = r.object(path, value, ["context", "dockerfile", "target", "args", "repository", "tag"]);
        const context = r.requiredString(`${path}.context`, b.context, `set ${path}.context to the build context directory`);
        if (!registry && b.repository === undefined) {
            r.fail(path, "is a build but no registry is configured", "set registry.server (and registryPassword as a secret) or give a prebuilt reference");
        }
        const tag = r.string(`${path}.tag`, b.tag, raw.stack) ?? raw.stack;
        if (tag === "latest") {
            r.fail(`${path}.tag`, "`latest` is not a release tag", `set ${path}.tag to a version`);
        }
        const args = r.object(`${path}.args`, b.args);
        return {
            kind: "build",
            context,
            dockerfile: r.string(`${path}.dockerfile`, b.dockerfile),
            target: r.string(`${path}.target`, b.target),
            args: Object.fromEntries(Object.entries(args).map(([k, val]) => [k, String(val)])),
            repository: r.string(`${path}.repository`, b.repository) ?? `${registry?.server ?? "registry.invalid"}/${repoName}`,
            tag,
        };
    };

    // Ingress.
    const ing = r.object("ingress", v.ingress, KEYS.ingress as string[]);
    const ingressEnabled = r.bool("ingress.enabled", ing.enabled, false);
    let ingress: IngressConfig | undefined;
    if (ingressEnabled) {
        const tlsObj = r.object("ingress.tls", ing.tls, ["secretName", "clusterIssuer"]);
        const hosts = r.object("ingress.hosts", ing.hosts, ["spsp", "btp", "explorer", "agentState"]);
        const host = (name: string) =>
            r.requiredString(`ingress.hosts.${name}`, hosts[name], `set ingress.hosts.${name} to the public DNS name`);
        const tls =
            tlsObj.secretName !== undefined || tlsObj.clusterIssuer !== undefined
                ? { secretName: r.string("ingress.tls.secretName", tlsObj.secretName), clusterIssuer: r.string("ingress.tls.clusterIssuer", tlsObj.clusterIssuer) }
                : undefined;
        if (prod && !tls) {
            r.fail("ingress.tls", "prod ingress must terminate TLS", "set ingress.tls.clusterIssuer (cert-manager) or ingress.tls.secretName");
        }
        ingress = {
            className: r.string("ingress.className", ing.className, "nginx") ?? "nginx",
            controllerNamespace: r.string("ingress.controllerNamespace", ing.controllerNamespace, "ingress-nginx") ?? "ingress-nginx",
            tls,
            hosts: { spsp: host("spsp"), btp: host("btp"), explorer: host("explorer"), agentState: host("agentState") },
        };
    } else if (prod) {
        r.fail("ingress.enabled", "prod exposes SPSP, BTP, Explorer and AgentState through an Ingress", "set ingress.enabled to true with hosts and tls");
    }
    const monitoring = r.object("monitoring", v.monitoring, KEYS.monitoring as string[]);

    // TigerBeetle.
    const tb = r.object("tigerbeetle", v.tigerbeetle, KEYS.tigerbeetle as string[]);
    const replicas = r.int("tigerbeetle.replicas", tb.replicas, d.tigerbeetle.replicas, { min: 1, max: 5 });
    if (replicas % 2 === 0) {
        r.fail("tigerbeetle.replicas", `must be odd for a quorum, got ${replicas}`, "set tigerbeetle.replicas to 1 (dev), 3 or 5");
    } else if (prod && replicas < 3) {
        r.fail("tigerbeetle.replicas", `prod needs at least 3 replicas to survive a failure, got ${replicas}`, "set tigerbeetle.replicas to 3 or 5");
    }
    const clusterId = parseClusterId(r, tb.clusterId, d.tigerbeetle.clusterId, prod);
    const cacheGrid = r.string("tigerbeetle.cacheGrid", tb.cacheGrid, d.tigerbeetle.cacheGrid) ?? d.tigerbeetle.cacheGrid;
    if (!BYTE_SIZE.test(cacheGrid)) {
        r.fail("tigerbeetle.cacheGrid", `is not a size such as 256MiB or 1GiB: ${JSON.stringify(cacheGrid)}`, "use KiB, MiB or GiB");
    }

    // Connector.
    const con = r.object("connector", v.connector, KEYS.connector as string[]);
    const settlement = r.object("connector.settlement", con.settlement, ["enabled", "preference", "threshold", "feePercentage"]);
    const explorer = r.object("connector.explorer", con.explorer, ["enabled", "retentionDays", "maxEvents"]);
    const evmPrivateKey = secret("connectorEvmPrivateKey");
    const m2mTokenAddress = secret("connectorM2mTokenAddress");
    const tokenNetworkRegistry = secret("connectorTokenNetworkRegistry");
    let connectorSecrets: ConnectorSecrets | undefined;
    const givenSecrets = [
        ["connectorEvmPrivateKey", evmPrivateKey],
        ["connectorM2mTokenAddress", m2mTokenAddress],
        ["connectorTokenNetworkRegistry", tokenNetworkRegistry],
    ] as const;
    const given = givenSecrets.filter(([, value]) => value !== undefined).map(([key]) => key);
    if (evmPrivateKey && m2mTokenAddress && tokenNetworkRegistry) {
        connectorSecrets = { evmPrivateKey, m2mTokenAddress, tokenNetworkRegistry };
    } else {
        // All or none: dev generates a throwaway set only when none is given, so a key the
        // user set is never silently replaced by a generated one.
        for (const [key, value] of givenSecrets) {
            if (!value && (prod || given.length > 0)) {
                const why = prod ? "is required in prod (the connector's settlement credentials)" : `is missing while ${given.join(" and ")} ${given.length === 1 ? "is" : "are"} set: the three connector credentials go together`;
                r.fail(key, why, `run \`pulumi config set --secret ${key} <value>\`${prod ? "" : ", or remove the others to use a generated throwaway set"}`);
            }
        }
    }

    // Agent runtime.
    const ar = r.object("agentRuntime", v.agentRuntime, KEYS.agentRuntime as string[]);

    // Business logic.
    const bl = r.object("businessLogic", v.businessLogic, KEYS.businessLogic as string[]);
    const blHpa = r.hpa("businessLogic.hpa", bl.hpa, { minReplicas: 2, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 80 }).config;
    const db = r.object("businessLogic.database", bl.database, ["mode", "image", "storage", "resources", "egressCidrs", "port"]);
    const dbMode = r.oneOf("businessLogic.database.mode", db.mode, ["postgres", "external"] as const, "postgres");
    const databaseUrl = secret("businessLogicDatabaseUrl");
    let database: DatabaseConfig;
    if (dbMode === "external") {
        if (!databaseUrl) {
            r.fail("businessLogicDatabaseUrl", "is required when businessLogic.database.mode is external", "run `pulumi config set --secret businessLogicDatabaseUrl postgres://...`");
        }
        database = {
            mode: "external",
            url: databaseUrl ?? pulumi.secret(""),
            egress: { cidrs: cidrList(r, "businessLogic.database.egressCidrs", db.egressCidrs), port: r.int("businessLogic.database.port", db.port, 5432, { min: 1, max: 65535 }) },
        };
    } else {
        database = {
            mode: "postgres",
            image: image("businessLogic.database.image", db.image, "postgres", POSTGRES_IMAGE),
            storage: r.quantity("businessLogic.database.storage", db.storage, "10Gi"),
            resources: r.resources("businessLogic.database.resources", db.resources, d.businessLogic.postgres),
        };
    }

    // AgentState.
    const as = r.object("agentState", v.agentState, KEYS.agentState as string[]);
    const caps = r.object("agentState.capKeys", as.capKeys, ["activeId", "nextId"]);
    const activeId = r.string("agentState.capKeys.activeId", caps.activeId, `${environment}-active`) ?? "";
    const nextId = r.string("agentState.capKeys.nextId", caps.nextId, `${environment}-next`) ?? "";
    for (const [field, id] of [
        ["activeId", activeId],
        ["nextId", nextId],
    ] as const) {
        if (!DNS_LABEL.test(id) || id.length > 40) {
            r.fail(`agentState.capKeys.${field}`, `${JSON.stringify(id)} is not a key id (lowercase letters, digits and -, at most 40)`, "use an id such as prod-2026-11");
        }
    }
    if (activeId === nextId) {
        r.fail("agentState.capKeys.nextId", `equals activeId (${activeId})`, "give the next key its own id, e.g. the next rotation period");
    }
    const tlsObj = r.object("agentState.tls", as.tls, ["mode", "secretName", "issuer"]);
    const tlsMode = r.oneOf("agentState.tls.mode", tlsObj.mode, ["none", "secret", "certManager"] as const, "none");
    const agentStateTls: AgentStateConfig["tls"] =
        tlsMode === "secret"
            ? { mode: "secret", secretName: r.requiredString("agentState.tls.secretName", tlsObj.secretName, "name the kubernetes.io/tls Secret") }
            : tlsMode === "certManager"
              ? { mode: "certManager", issuer: r.string("agentState.tls.issuer", tlsObj.issuer) }
              : { mode: "none" };

    // Agency.
    const ag = r.object("agency", v.agency, KEYS.agency as string[]);
    const tenantsRaw = ag.tenants ?? ["client-a"];
    const tenants: string[] = [];
    if (!Array.isArray(tenantsRaw)) {
        r.fail("agency.tenants", `expected a list of tenant names, got ${JSON.stringify(tenantsRaw)}`, "set agency.tenants to a YAML list such as [client-a]");
    } else {
        for (const t of tenantsRaw) {
            const name = String(t);
            if (!DNS_LABEL.test(name) || `${prefix}${name}`.length > 63) {
                r.fail("agency.tenants", `tenant ${JSON.stringify(t)} is not a DNS-1123 label`, "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters with the namespace prefix");
            } else if (tenants.includes(name)) {
                r.fail("agency.tenants", `tenant ${name} is listed twice`, "list each tenant once");
            } else if (Object.values(namespaces).includes(`${prefix}${name}`)) {
                r.fail("agency.tenants", `tenant ${name} would share namespace ${prefix}${name} with a platform tier`, "rename the tenant");
            } else {
                tenants.push(name);
            }
        }
    }
    const agHpa = r.hpa("agency.hpa", ag.hpa, { minReplicas: 1, maxReplicas: 5, cpuUtilization: 80, memoryUtilization: 80 }, ["queueLengthTarget"]);
    const agRes = r.object("agency.resources", ag.resources, Object.keys(AGENCY_RESOURCES));
    const agencyImage = image("agency.image", ag.image, "digital-agency");

    const config: PlatformConfig = {
        stack: raw.stack,
        environment,
        storageClass: dnsSubdomain(r, "storageClass", r.string("storageClass", v.storageClass)),
        registry,
        ingress,
        monitoringNamespace: namespaceName(r, "monitoring.namespace", r.string("monitoring.namespace", monitoring.namespace, "monitoring") ?? "monitoring"),
        tigerbeetle: {
            namespace: namespaces.tigerbeetle,
            replicas,
            clusterId,
            image: image("tigerbeetle.image", tb.image, "tigerbeetle", TIGERBEETLE_IMAGE),
            storage: r.quantity("tigerbeetle.storage", tb.storage, d.tigerbeetle.storage),
            cacheGrid,
            resources: r.resources("tigerbeetle.resources", tb.resources, d.tigerbeetle.resources),
        },
        connector: {
            namespace: namespaces.connector,
            replicas: r.int("connector.replicas", con.replicas, d.connector.replicas, { min: 1, max: 20 }),
            image: image("connector.image", con.image, "m2m-connector"),
            nodeId: r.string("connector.nodeId", con.nodeId, "agent-connector") ?? "agent-connector",
            logLevel: r.oneOf("connector.logLevel", con.logLevel, LOG_LEVELS, "info"),
            settlement: {
                enabled: r.bool("connector.settlement.enabled", settlement.enabled, true),
                preference: r.oneOf("connector.settlement.preference", settlement.preference, ["evm", "xrp", "aptos"], "evm"),
                threshold: r.int("connector.settlement.threshold", settlement.threshold, 1000000, { min: 0 }),
                feePercentage: r.number("connector.settlement.feePercentage", settlement.feePercentage, 0.1, { min: 0, max: 100 }),
            },
            explorer: {
                enabled: r.bool("connector.explorer.enabled", explorer.enabled, true),
                retentionDays: r.int("connector.explorer.retentionDays", explorer.retentionDays, 7, { min: 1 }),
                maxEvents: r.int("connector.explorer.maxEvents", explorer.maxEvents, 1000000, { min: 1 }),
            },
            localDeliveryTimeoutMs: r.int("connector.localDeliveryTimeoutMs", con.localDeliveryTimeoutMs, 30000, { min: 1 }),
            secrets: connectorSecrets,
            resources: r.resources("connector.resources", con.resources, d.connector.resources),
        },
        agentRuntime: {
            namespace: namespaces.agentRuntime,
            replicas: r.int("agentRuntime.replicas", ar.replicas, d.agentRuntime.replicas, { min: 1, max: 50 }),
            image: image("agentRuntime.image", ar.image, "m2m-agent-runtime"),
            nodeId: r.string("agentRuntime.nodeId", ar.nodeId, "agent-runtime") ?? "agent-runtime",
            baseAddress: r.string("agentRuntime.baseAddress", ar.baseAddress, "g.connector.agent") ?? "g.connector.agent",
            businessLogicTimeoutMs: r.int("agentRuntime.businessLogicTimeoutMs", ar.businessLogicTimeoutMs, 5000, { min: 1 }),
            sessionTtlMs: r.int("agentRuntime.sessionTtlMs", ar.sessionTtlMs, 3600000, { min: 1 }),
            spspEnabled: r.bool("agentRuntime.spspEnabled", ar.spspEnabled, true),
            logLevel: r.oneOf("agentRuntime.logLevel", ar.logLevel, LOG_LEVELS, "info"),
            resources: r.resources("agentRuntime.resources", ar.resources, d.agentRuntime.resources),
        },
        businessLogic: {
            namespace: namespaces.businessLogic,
            replicas: r.int("businessLogic.replicas", bl.replicas, d.businessLogic.replicas, { min: 1, max: 100 }),
            image: image("businessLogic.image", bl.image, "my-business-logic"),
            logLevel: r.oneOf("businessLogic.logLevel", bl.logLevel, LOG_LEVELS, "info"),
            hpa: blHpa,
            database,
            resources: r.resources("businessLogic.resources", bl.resources, d.businessLogic.resources),
        },
        agentState: {
            namespace: namespaces.agentState,
            image: image("agentState.image", as.image, "agentstate-server"),
            region: r.string("agentState.region", as.region, "us-west-2") ?? "us-west-2",
            storage: r.quantity("agentState.storage", as.storage, "10Gi"),
            capKeys: { activeId, nextId },
            watchBufferSize: r.int("agentState.watchBufferSize", as.watchBufferSize, 10000, { min: 1 }),
            watchBufferBytes: r.int("agentState.watchBufferBytes", as.watchBufferBytes, 10485760, { min: 1024 }),
            tls: agentStateTls,
            grafanaDashboard: r.bool("agentState.grafanaDashboard", as.grafanaDashboard, true),
            resources: r.resources("agentState.resources", as.resources, d.agentState.resources),
        },
        agency: {
            tenants,
            namespacePrefix: prefix,
            image: agencyImage,
            brainImage: ag.brainImage === undefined ? agencyImage : image("agency.brainImage", ag.brainImage, "digital-agency-brain"),
            agentStorage: r.quantity("agency.agentStorage", ag.agentStorage, "5Gi"),
            brainStorage: r.quantity("agency.brainStorage", ag.brainStorage, "10Gi"),
            hpa: {
                ...agHpa.config,
                queueLengthTarget: r.int("agency.hpa.queueLengthTarget", agHpa.fields.queueLengthTarget, 5, { min: 1 }),
            },
            resources: {
                agent: r.resources("agency.resources.agent", agRes.agent, AGENCY_RESOURCES.agent),
                healthMonitor: r.resources("agency.resources.healthMonitor", agRes.healthMonitor, AGENCY_RESOURCES.healthMonitor),
                swarm: r.resources("agency.resources.swarm", agRes.swarm, AGENCY_RESOURCES.swarm),
                elasticSwarm: r.resources("agency.resources.elasticSwarm", agRes.elasticSwarm, AGENCY_RESOURCES.elasticSwarm),
                brain: r.resources("agency.resources.brain", agRes.brain, AGENCY_RESOURCES.brain),
            },
        },
    };

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return config;
}

const CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$|^[0-9a-fA-F:]+\/(?:12[0-8]|1[01]\d|[1-9]?\d)$/;

/** The CIDRs an external database lives in (undefined when not given). */
function cidrList(r: Reader, path: string, value: Json): string[] | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (!Array.isArray(value) || value.length === 0) {
        r.fail(path, `expected a non-empty list of CIDRs, got ${JSON.stringify(value)}`, `set ${path} to the database's addresses, e.g. [10.20.0.0/24] for a private managed instance, or remove it for any public address`);
        return undefined;
    }
    return value.map((c, i) => {
        if (typeof c !== "string" || !CIDR.test(c)) {
            r.fail(`${path}[${i}]`, `${JSON.stringify(c)} is not a CIDR`, "write it as address/prefix, e.g. 10.20.0.0/24 or 2001:db8::/48");
        }
        return String(c);
    });
}

/** A namespace name (a DNS-1123 label), reported under `path` when it is not one. */
function namespaceName(r: Reader, path: string, name: string): string {
    if (!DNS_LABEL.test(name) || name.length > 63) {
        r.fail(path, `namespace ${JSON.stringify(name)} is not a DNS-1123 label`, `set ${path} to lowercase letters, digits and '-' (at most 63 characters)`);
    }
    return name;
}

/** An object name such as a StorageClass's (a DNS-1123 subdomain), or undefined. */
function dnsSubdomain(r: Reader, path: string, name: string | undefined): string | undefined {
    if (name !== undefined && (name.length > 253 || !name.split(".").every((part) => DNS_LABEL.test(part)))) {
        r.fail(path, `${JSON.stringify(name)} is not a valid Kubernetes object name (a DNS-1123 subdomain)`, `set ${path} to lowercase letters, digits, '-' and '.' (at most 253 characters), or remove it for the cluster default`);
    }
    return name;
}


function parseClusterId(r: Reader, value: Json, def: string, prod: boolean): ClusterIdSpec {
    const s = r.string("tigerbeetle.clusterId", value, def) ?? def;
    if (s === "generate") {
        return { mode: "generate" };
    }
    if (!/^[0-9]+$/.test(s)) {
        r.fail("tigerbeetle.clusterId", `must be "generate" or a decimal 128-bit integer, got ${JSON.stringify(s)}`, 'set it to "generate" (prod) or a decimal such as 0 (dev)');
        return { mode: "fixed", value: "0" };
    }
    const id = BigInt(s);
    if (id > MAX_CLUSTER_ID) {
        r.fail("tigerbeetle.clusterId", `${s} is out of range: TigerBeetle cluster IDs are 128-bit (0 to 2^128-1)`, 'use "generate" or a smaller value');
    } else if (prod && id === 0n) {
        r.fail("tigerbeetle.clusterId", "0 is reserved for testing and not allowed in prod", 'set tigerbeetle.clusterId to "generate" (a random 128-bit ID created once) or a fixed non-zero value');
    }
    return { mode: "fixed", value: id.toString() };
}

/** Reads the running stack's config through the Pulumi runtime and validates it. */
export function loadConfig(): PlatformConfig {
    const project = pulumi.getProject();
    const all = pulumi.runtime.allConfig();
    const values: Record<string, Json> = {};
    const secretKeys = new Set<string>();
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    for (const [fullKey, value] of Object.entries(all)) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== project) {
            continue;
        }
        values[key] = parseValue(value);
        if (isSecret?.(fullKey)) {
            secretKeys.add(key);
        }
    }
    return parseConfig({ values, secretKeys, stack: pulumi.getStack(), project });
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

function parseValue(value: string): Json {
    const t = value.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return value;
        }
    }
    return value;
}
