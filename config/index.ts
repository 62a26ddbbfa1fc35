// All stack configuration is read and validated here, once, before any resource is
// registered. Tiers receive the typed `PlatformConfig`; none of them reads pulumi.Config.
//
// Each key is declared once, in the module of the tier it configures (stack.ts for the
// stack-wide keys): its fields with their defaults, documentation and checks. The program
// reads the stack through those declarations; Pulumi.yaml's `config:` block and the
// README's config table are rendered from them (`npm run config:docs`).
//
// Every problem is collected and reported together, each naming the config key and the
// fix, so a bad stack fails in one `pulumi preview` with nothing touched.
import * as pulumi from "@pulumi/pulumi";
import { AGENCY_KEYS, readAgency } from "./agency";
import { AGENT_RUNTIME_KEYS, readAgentRuntime } from "./agentRuntime";
import { AGENT_STATE_KEYS, readAgentState } from "./agentState";
import { BACKUP_KEYS, readBackups } from "./backups";
import { BUSINESS_LOGIC_KEYS, readBusinessLogic } from "./businessLogic";
import { CONNECTOR_KEYS, readConnector } from "./connector";
import { ConfigError, Json, Reader } from "./reader";
import { Context, KeyDecl } from "./schema";
import { SECRETS_KEYS, readSecrets } from "./secrets";
import { STACK_KEYS, readAlertRules, readDashboards, readEnvironment, readIngress, readMonitoringNamespace, readNamespaces, readRegistry, readStorageClass } from "./stack";
import { TIGERBEETLE_KEYS, readTigerBeetle } from "./tigerbeetle";
import { TENANT_KEYS, checkPlatformStack, readStackKind, readTenantStack } from "./tenant";
import { PROJECT, PlatformConfig, TenantStackConfig } from "./types";

export * from "./types";
export { ConfigError, parseQuantity } from "./reader";
export { CREDENTIAL_KEYS } from "./secrets";
export { imagePinProblem } from "./kinds";
export { TIGERBEETLE_IMAGE } from "./tigerbeetle";
export { POSTGRES_IMAGE } from "./businessLogic";
export { TENANT_PLATFORM_VERSION, tenantConfig } from "./tenant";

/** Every key the project accepts, tier by tier, in the order the docs list them. */
export const DECLARATIONS: readonly KeyDecl[] = [
    ...STACK_KEYS,
    ...SECRETS_KEYS,
    ...BACKUP_KEYS,
    ...TIGERBEETLE_KEYS,
    ...CONNECTOR_KEYS,
    ...AGENT_RUNTIME_KEYS,
    ...BUSINESS_LOGIC_KEYS,
    ...AGENT_STATE_KEYS,
    ...AGENCY_KEYS,
    ...TENANT_KEYS,
];

/** Keys whose values are credentials: read as secrets, and required to be secret in prod. */
export const SECRET_KEYS: readonly string[] = DECLARATIONS.filter((d) => d.value.kind === "field" && d.value.secret).map((d) => d.key);

export const CONFIG_KEYS: readonly string[] = [...DECLARATIONS.filter((d) => !SECRET_KEYS.includes(d.key)).map((d) => d.key), ...SECRET_KEYS];

export interface RawConfig {
    /** Values keyed without the project prefix; object values already parsed from JSON. */
    values: Record<string, Json>;
    /** Keys the stack holds as secrets (`pulumi config set --secret`). */
    secretKeys: Set<string>;
    stack: string;
    project?: string;
}

/** A platform stack (the tiers and the one-stack tenants) or a tenant stack (one tenant of a platform stack). */
export type StackConfig = { kind: "platform"; config: PlatformConfig } | { kind: "tenant"; config: TenantStackConfig };

/** Validates a stack's raw config as its `stackKind` says, or throws a ConfigError listing every problem. */
export function parseStack(raw: RawConfig): StackConfig {
    const env = environmentContext(raw);
    if (readStackKind(env) !== "tenant") {
        return { kind: "platform", config: parseConfig(raw) };
    }
    const config = readTenantStack(env);
    if (env.r.problems.length > 0) {
        throw new ConfigError(env.r.problems);
    }
    return { kind: "tenant", config };
}

/** A reader for the stack, its unknown keys reported, and its environment read. */
function environmentContext(raw: RawConfig): Context {
    const r = new Reader(raw.project ?? PROJECT);
    for (const key of Object.keys(raw.values)) {
        if (!CONFIG_KEYS.includes(key)) {
            r.fail(key, "unknown config key", `remove it, or check the spelling against Pulumi.yaml (known keys: ${CONFIG_KEYS.join(", ")})`);
        }
    }
    const base = { r, values: raw.values, secretKeys: raw.secretKeys, stack: raw.stack };
    const environment = readEnvironment(base);
    return { ...base, environment, prod: environment === "prod" };
}

/**
 * Validates a platform stack's raw config and returns the typed platform config, or throws a
 * ConfigError listing every problem. Pure: it registers no resource.
 */
export function parseConfig(raw: RawConfig): PlatformConfig {
    const env = environmentContext(raw);
    const { r, environment } = env;
    if (readStackKind(env) === "tenant") {
        r.fail("stackKind", "is tenant, but this stack is read as a platform stack", "set stackKind to platform (or leave it unset)");
    }
    checkPlatformStack(env);
    const credentials = readSecrets(env);
    const ctx0: Context = { ...env, credentials };
    const { prefix, namespaces } = readNamespaces(ctx0);
    const ctx: Context = { ...ctx0, prefix, registry: readRegistry(ctx0) };
    const config: PlatformConfig = {
        stack: raw.stack,
        environment,
        secrets: credentials.config,
        storageClass: readStorageClass(ctx),
        registry: ctx.registry,
        ingress: readIngress(ctx),
        monitoringNamespace: readMonitoringNamespace(ctx),
        alertRules: readAlertRules(ctx),
        backups: readBackups(ctx),
        dashboards: readDashboards(ctx),
        tigerbeetle: readTigerBeetle(ctx, namespaces.tigerbeetle),
        connector: readConnector(ctx, namespaces.connector),
        agentRuntime: readAgentRuntime(ctx, namespaces.agentRuntime),
        businessLogic: readBusinessLogic(ctx, namespaces.businessLogic),
        agentState: readAgentState(ctx, namespaces.agentState),
        agency: readAgency(ctx, Object.values(namespaces)),
    };
    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return config;
}

/** Reads the running platform stack's config through the Pulumi runtime and validates it. */
export function loadConfig(): PlatformConfig {
    const stack = loadStack();
    if (stack.kind !== "platform") {
        throw new ConfigError([`${PROJECT}:stackKind: is tenant, but this program runs platform stacks only. Fix: run the tenant stack with the project's own program (index.ts)`]);
    }
    return stack.config;
}

/** Reads the running stack's config through the Pulumi runtime and validates it as its stackKind says. */
export function loadStack(): StackConfig {
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
    return parseStack({ values, secretKeys, stack: pulumi.getStack(), project });
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
