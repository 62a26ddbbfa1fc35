// Tenant stacks: a stack of this same program that holds one agency tenant of a platform
// stack (README, "Tenant stacks"). Its own config is small: which platform stack and which
// tenant, and the `agency` fields it sets for its tenant over what the platform uses. All
// else (namespace, registry, images, AgentState, the network-policy peers) it reads from
// the platform stack's `tenantPlatform` output, checked here before any resource.
import * as pulumi from "@pulumi/pulumi";
import { AGENCY, TENANT_FIELDS, readTenantSettings } from "./agency";
import { Json, Reader } from "./reader";
import { Context, declare, group, oneOf, readKey, requiredStr, section } from "./schema";
import { ImageSpec, RegistryConfig, TenantConfig, TenantPlatform, TenantStackConfig } from "./types";

export const STACK_KIND = declare(
    "stackKind",
    "platform: the tiers and the tenants of agency.tenants; tenant: one tenant of a platform stack's agency.tenantStacks (README, Tenant stacks)",
    oneOf({ values: ["platform", "tenant"] as const, default: "platform" }),
);

const stackField = (name: string, fix: string) => requiredStr({ unset: "required with stackKind tenant", fix });

export const TENANT_STACK = declare(
    "tenantStack",
    "With stackKind tenant: the platform stack it reads and the tenant it holds",
    group(
        {
            platform: stackField("platform", "set tenantStack.platform to the platform stack's name (the stack this one is named after: dev for dev.client-b)"),
            tenant: stackField("tenant", "set tenantStack.tenant to the tenant's name, as the platform stack lists it in agency.tenantStacks"),
        },
        { inline: true },
    ),
);

export const TENANT_KEYS = [STACK_KIND, TENANT_STACK];

/** The contract version this program reads from a platform stack's `tenantPlatform`. */
export const TENANT_PLATFORM_VERSION = 1;

/** Keys a tenant stack reads; every other key belongs in its platform stack's file. */
const TENANT_STACK_KEYS = ["environment", "stackKind", "tenantStack", "agency"];

/** Unset as the engine passes it: absent, or the default Pulumi.yaml declares (`""`, `{}`). */
export function isUnset(value: Json): boolean {
    return value === undefined || value === null || value === "" || (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
}

/** `stackKind`: whether the stack is a platform stack (the default) or a tenant stack. */
export function readStackKind(ctx: Context): "platform" | "tenant" {
    return readKey(ctx, STACK_KIND);
}

/** A platform stack names no platform to read: `tenantStack` set there is a mistake. */
export function checkPlatformStack(ctx: Context): void {
    if (!isUnset(ctx.values.tenantStack)) {
        ctx.r.fail("tenantStack", "is only read by a tenant stack", "remove it, or set stackKind to tenant to make this a tenant stack");
    }
}

/**
 * A tenant stack's own config: its platform stack and tenant, the `agency` fields it sets
 * (TENANT_FIELDS) and nothing else.
 */
export function readTenantStack(ctx: Context): TenantStackConfig {
    const { r } = ctx;
    for (const [key, value] of Object.entries(ctx.values)) {
        if (!TENANT_STACK_KEYS.includes(key) && !isUnset(value)) {
            r.fail(key, "is a platform stack's key: a tenant stack reads it from its platform stack", `remove it from this stack and set it in the platform stack's file (Pulumi.<platform>.yaml)`);
        }
    }
    const s = section(ctx, TENANT_STACK);
    const platform = s.read("platform");
    const tenant = s.read("tenant");
    const agency = r.object("agency", ctx.values.agency);
    for (const field of Object.keys(agency)) {
        if (!(TENANT_FIELDS as readonly string[]).includes(field)) {
            r.fail(
                `agency.${field}`,
                "is not set in a tenant stack",
                field === "tenants" || field === "tenantStacks"
                    ? "remove it: the platform stack lists its tenants (agency.tenants, agency.tenantStacks)"
                    : `remove it (a tenant stack sets only ${TENANT_FIELDS.map((f) => `agency.${f}`).join(", ")})`,
            );
        }
    }
    if (platform !== "" && platform === ctx.stack) {
        r.fail("tenantStack.platform", `names this stack (${ctx.stack})`, "name the platform stack this tenant stack belongs to");
    }
    return { stack: ctx.stack, environment: ctx.environment, platformStack: platform, tenant, overrides: agency };
}

/**
 * The tenant's settings: the platform stack's `tenantPlatform` with this stack's `agency`
 * fields over it, checked through the same declarations. A ConfigError names the key and
 * the fix when the platform stack does not hold this tenant as a tenant stack, or holds it
 * in its one-stack layout too.
 */
export function tenantConfig(cfg: TenantStackConfig, platform: TenantPlatform | undefined, registryPassword: pulumi.Output<string> | undefined, r: Reader): TenantConfig | undefined {
    const { platformStack: p, tenant } = cfg;
    if (!platform) {
        r.fail("tenantStack.platform", `platform stack ${p} has no tenantPlatform output: it does not exist yet, or has never been deployed`, `deploy it first: npm run deploy -- up --stack ${p}`);
        return undefined;
    }
    if (platform.version !== TENANT_PLATFORM_VERSION) {
        r.fail("tenantStack.platform", `platform stack ${p} exports tenantPlatform version ${platform.version}, this program reads ${TENANT_PLATFORM_VERSION}`, `deploy platform stack ${p} and this stack from the same revision`);
        return undefined;
    }
    if (platform.environment !== cfg.environment) {
        r.fail("environment", `is ${cfg.environment}, platform stack ${p} is ${platform.environment}`, `set environment to ${platform.environment}`);
    }
    if (platform.tenants.includes(tenant)) {
        r.fail(
            "tenantStack.tenant",
            `tenant ${tenant} is listed in both layouts: platform stack ${p} runs it itself (its agency.tenants)`,
            `run it in one place: move it to agency.tenantStacks in Pulumi.${p}.yaml (README, "Moving a tenant between the layouts"), or remove stack ${cfg.stack}`,
        );
        return undefined;
    }
    const own = platform.tenantStacks[tenant];
    if (!own) {
        const known = Object.keys(platform.tenantStacks);
        r.fail(
            "tenantStack.tenant",
            `platform stack ${p} has no tenant stack ${tenant} (its agency.tenantStacks: ${known.length ? known.join(", ") : "none"})`,
            `add ${tenant} to agency.tenantStacks in Pulumi.${p}.yaml and up the platform stack first`,
        );
        return undefined;
    }
    const merged = deepMerge(platform.agency as unknown as Json, cfg.overrides);
    const ctx: Context = { r, values: { agency: merged }, secretKeys: new Set(), stack: cfg.stack, environment: cfg.environment, prod: cfg.environment === "prod" };
    const s = section(ctx, AGENCY);
    // The stack's own image, read through the declaration, or the one the platform resolved.
    const image: ImageSpec = cfg.overrides.image !== undefined ? s.read("image") : { kind: "prebuilt", ref: platform.images.agent };
    const platformBrain: ImageSpec = platform.images.brain === platform.images.agent ? image : { kind: "prebuilt", ref: platform.images.brain };
    const brainImage: ImageSpec = s.read("brainImage") ?? (cfg.overrides.image !== undefined ? image : platformBrain);
    return {
        stack: cfg.stack,
        environment: cfg.environment,
        platformStack: p,
        tenant,
        namespace: own.namespace,
        image,
        brainImage,
        registry: registryOf(platform, registryPassword),
        storageClass: platform.storageClass,
        monitoringNamespace: platform.monitoringNamespace,
        alertRules: platform.alertRules,
        dashboards: platform.dashboards ?? false,
        backups: platform.backups,
        priorityClassName: platform.priorityClass.name,
        agentState: platform.agentState,
        ...readTenantSettings(s),
    };
}

/** `over` merged into `base`: mappings field by field (so `agency.hpa.maxReplicas` alone keeps the platform's other hpa fields), anything else replaced. */
function deepMerge(base: Json, over: Json): Json {
    const isMap = (x: Json): x is Record<string, Json> => typeof x === "object" && x !== null && !Array.isArray(x);
    if (!isMap(base) || !isMap(over)) {
        return over === undefined ? base : over;
    }
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        out[k] = deepMerge(base[k], v);
    }
    return out;
}

/** The platform's registry as the tenant's namespace foundation takes it: the password from its secret output. */
function registryOf(platform: TenantPlatform, password: pulumi.Output<string> | undefined): RegistryConfig | undefined {
    const reg = platform.registry;
    if (!reg) {
        return undefined;
    }
    const pw = reg.password;
    if (pw?.source === "externalSecrets") {
        return { server: reg.server, username: reg.username, password: pw };
    }
    return { server: reg.server, username: reg.username, password: pw?.source === "pulumi" && password ? { source: "pulumi", value: password } : undefined };
}
