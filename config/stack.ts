// The stack-wide keys: environment, namespaces, storage class, registry, ingress and
// monitoring.
import { Context, declare, group, oneOf, optionalStr, readKey, requiredStr, secret, section, str, bool, field } from "./schema";
import { readCredential } from "./secrets";
import { dnsSubdomain, namespaceName } from "./reader";
import { Environment, IngressConfig, RegistryConfig } from "./types";

export const ENVIRONMENT = declare(
    "environment",
    "dev or prod: selects the defaults below and the production checks",
    oneOf({ values: ["dev", "prod"] as const, default: "dev", required: true, unset: "required" }),
);

export const NAMESPACE_PREFIX = declare(
    "namespacePrefix",
    'Prefix for every namespace, so two stacks can share one cluster (e.g. "staging-")',
    str({ default: "" }),
);

/** A tier's namespace: `namespacePrefix` + the default, unless given. */
const namespace = (def: string) => field({ default: def, read: (ctx, path, value) => ctx.r.string(path, value) ?? `${ctx.prefix ?? ""}${def}` });

export const NAMESPACES = declare(
    "namespaces",
    "Per-tier namespace overrides",
    group(
        {
            tigerbeetle: namespace("tigerbeetle"),
            connector: namespace("m2m-connector"),
            agentRuntime: namespace("m2m-agent-runtime"),
            businessLogic: namespace("my-agent"),
            agentState: namespace("agentstate"),
        },
        { inline: true, note: "after the prefix; all distinct" },
    ),
);

export const STORAGE_CLASS = declare(
    "storageClass",
    "StorageClass for every PVC",
    optionalStr({ unset: "cluster default", check: (ctx, path, name) => dnsSubdomain(ctx.r, path, name) }),
);

export const REGISTRY = declare(
    "registry",
    "Registry that built images are pushed to; the password is registryPassword",
    group({
        server: requiredStr({ unset: "none", note: "host[:port]; needed for builds", fix: "set registry.server to host[:port]" }),
        username: optionalStr({ unset: "none" }),
    }),
);

export const REGISTRY_PASSWORD = declare("registryPassword", "Registry password", secret({ unset: "needed to push builds, with registry.username" }));

const host = (name: string) => requiredStr({ unset: "required when enabled", fix: `set ingress.hosts.${name} to the public DNS name` });

export const INGRESS = declare(
    "ingress",
    "The public endpoints' Ingresses; required with TLS in prod",
    group({
        enabled: bool({ default: false, note: "true in prod" }),
        className: str({ default: "nginx" }),
        controllerNamespace: str({ default: "ingress-nginx" }),
        tls: group({ secretName: optionalStr({ unset: "none" }), clusterIssuer: optionalStr({ unset: "none" }) }, { inline: true, note: "one of them in prod" }),
        hosts: group({ spsp: host("spsp"), btp: host("btp"), explorer: host("explorer"), agentState: host("agentState") }, { inline: true }),
    }),
);

export const MONITORING = declare(
    "monitoring",
    "Where Prometheus runs; admitted to metrics ports",
    group({
        namespace: str({ default: "monitoring", check: (ctx, path, name) => namespaceName(ctx.r, path, name) }),
        // PrometheusRule is a Prometheus Operator CRD, which the dev cluster does not have.
        alertRules: bool({ default: { dev: false, prod: true }, note: "a PrometheusRule per tier; needs the Prometheus Operator" }),
        // The dashboards are ConfigMaps for Grafana's sidecar, which the dev cluster does not run.
        dashboards: bool({ default: { dev: false, prod: true }, note: "a Grafana dashboard ConfigMap per tier; needs Grafana's dashboard sidecar" }),
    }),
);

export const STACK_KEYS = [ENVIRONMENT, NAMESPACE_PREFIX, NAMESPACES, STORAGE_CLASS, REGISTRY, REGISTRY_PASSWORD, INGRESS, MONITORING];

/** The environment, read before anything else: every other default depends on it. */
export function readEnvironment(ctx: Omit<Context, "environment" | "prod">): Environment {
    // The environment's own field does not depend on the environment.
    const environment = readKey({ ...ctx, environment: "dev", prod: false }, ENVIRONMENT);
    if (ctx.values.environment === undefined) {
        ctx.r.fail("environment", "is required", `run \`pulumi config set environment dev\` (or prod) for stack ${ctx.stack}`);
    }
    return environment;
}

export type Namespaces = { [tier in keyof typeof NAMESPACES.value.fields]: string };

/** The prefix and every tier's namespace: DNS labels, all distinct. */
export function readNamespaces(ctx: Context): { prefix: string; namespaces: Namespaces } {
    const { r } = ctx;
    const prefix = readKey(ctx, NAMESPACE_PREFIX);
    const s = section({ ...ctx, prefix }, NAMESPACES);
    const tiers = Object.keys(NAMESPACES.value.fields) as (keyof Namespaces)[];
    const namespaces = Object.fromEntries(tiers.map((tier) => [tier, s.read(tier)])) as Namespaces;
    for (const tier of tiers) {
        namespaceName(r, s.raw[tier] !== undefined ? `namespaces.${tier}` : "namespacePrefix", namespaces[tier]);
    }
    const seen = new Map<string, string>();
    for (const tier of tiers) {
        const ns = namespaces[tier];
        if (seen.has(ns)) {
            r.fail(`namespaces.${tier}`, `namespace ${ns} is also used by ${seen.get(ns)}`, "give every tier its own namespace");
        }
        seen.set(ns, tier);
    }
    return { prefix, namespaces };
}

/**
 * The registry built images are pushed to, when `registry.server` is set. With a username,
 * every namespace gets a pull Secret holding the password: with the external source its
 * remote key must then be mapped.
 */
export function readRegistry(ctx: Context): RegistryConfig | undefined {
    const s = section(ctx, REGISTRY);
    const pulls = s.raw.server !== undefined && s.raw.username !== undefined;
    const password = readCredential(ctx, REGISTRY_PASSWORD, pulls ? "registry.username is set: every namespace's registry-pull Secret holds the password" : undefined);
    if (s.raw.server === undefined) {
        return undefined;
    }
    return { server: s.read("server"), username: s.read("username"), password };
}

/** The ingress settings when enabled (prod requires it, with TLS). */
export function readIngress(ctx: Context): IngressConfig | undefined {
    const { r, prod } = ctx;
    const s = section(ctx, INGRESS);
    if (!s.read("enabled")) {
        if (prod) {
            r.fail("ingress.enabled", "prod exposes SPSP, BTP, Explorer and AgentState through an Ingress", "set ingress.enabled to true with hosts and tls");
        }
        return undefined;
    }
    const tlsSection = s.section("tls");
    const hosts = s.section("hosts");
    const tls =
        tlsSection.raw.secretName !== undefined || tlsSection.raw.clusterIssuer !== undefined
            ? { secretName: tlsSection.read("secretName"), clusterIssuer: tlsSection.read("clusterIssuer") }
            : undefined;
    if (prod && !tls) {
        r.fail("ingress.tls", "prod ingress must terminate TLS", "set ingress.tls.clusterIssuer (cert-manager) or ingress.tls.secretName");
    }
    return {
        className: s.read("className"),
        controllerNamespace: s.read("controllerNamespace"),
        tls,
        hosts: { spsp: hosts.read("spsp"), btp: hosts.read("btp"), explorer: hosts.read("explorer"), agentState: hosts.read("agentState") },
    };
}

export function readMonitoringNamespace(ctx: Context): string {
    return section(ctx, MONITORING).read("namespace");
}

/** Whether each tier creates its PrometheusRule (components/alerts.ts). */
export function readAlertRules(ctx: Context): boolean {
    return section(ctx, MONITORING).read("alertRules");
}

/** Whether each tier creates its Grafana dashboard ConfigMap (components/dashboards.ts). */
export function readDashboards(ctx: Context): boolean {
    return section(ctx, MONITORING).read("dashboards");
}

export function readStorageClass(ctx: Context): string | undefined {
    return readKey(ctx, STORAGE_CLASS);
}
