// Tenant stacks (README, "Tenant stacks"): both halves of what a platform stack and its
// tenant stacks share. The platform exports `tenantPlatform`, everything a tenant needs and
// nothing secret; a tenant stack reads it through a StackReference, checks it against its
// own config before any resource, and registers its tenant as the platform stack does (the
// same AgencyTenant, the same names), so that `pulumi state move` carries a tenant from one
// layout to the other without touching the cluster.
import * as pulumi from "@pulumi/pulumi";
import { AgencyTenant } from "./components/agency";
import { AGENTSTATE_API_PORT } from "./components/agentState";
import { ContainerImage } from "./components/image";
import { TENANT_PREEMPTION, TENANT_PRIORITY } from "./components/priority";
import { ConfigError, PROJECT, PlatformConfig, TENANT_PLATFORM_VERSION, TenantConfig, TenantPlatform, TenantStackConfig, tenantConfig } from "./config";
import { Reader } from "./config/reader";

export type Endpoints = { agent: string; healthMonitor: string; brain: string };

export interface TenantOutputs {
    /** The tenant's namespace (the platform stack named it). */
    namespace: pulumi.Output<string>;
    /** The tenant's endpoints, keyed by tenant as the platform stack's agencyEndpoints are. */
    agencyEndpoints: pulumi.Output<Record<string, Endpoints>>;
}

/** The platform's half: `tenantPlatform`, from the platform stack's config and what its tiers made. */
export function tenantPlatformOutput(
    cfg: PlatformConfig,
    made: { priorityClassName: pulumi.Output<string>; images: { agent: pulumi.Output<string>; brain: pulumi.Output<string> }; agentStateNamespace: pulumi.Output<string> },
): pulumi.Output<TenantPlatform> {
    const a = cfg.agency;
    const pw = cfg.registry?.password;
    const registry = cfg.registry && {
        server: cfg.registry.server,
        ...(cfg.registry.username !== undefined ? { username: cfg.registry.username } : {}),
        ...(pw === undefined ? {} : { password: pw.source === "pulumi" ? { source: "pulumi" as const } : pw }),
    };
    return pulumi.all([made.priorityClassName, made.images.agent, made.images.brain, made.agentStateNamespace]).apply(([priorityClassName, agent, brain, agentStateNamespace]) => ({
        version: TENANT_PLATFORM_VERSION,
        stack: cfg.stack,
        environment: cfg.environment,
        tenants: a.tenants,
        tenantStacks: Object.fromEntries(a.tenantStacks.map((t) => [t, { namespace: `${a.namespacePrefix}${t}` }])),
        images: { agent, brain },
        ...(registry ? { registry } : {}),
        ...(cfg.storageClass !== undefined ? { storageClass: cfg.storageClass } : {}),
        monitoringNamespace: cfg.monitoringNamespace,
        agentState: { namespace: agentStateNamespace, port: AGENTSTATE_API_PORT },
        alertRules: cfg.alertRules,
        dashboards: cfg.dashboards,
        ...(cfg.backups ? { backups: cfg.backups } : {}),
        priorityClass: { name: priorityClassName, value: TENANT_PRIORITY, preemptionPolicy: TENANT_PREEMPTION },
        agency: { agentStorage: a.agentStorage, brainStorage: a.brainStorage, hpa: a.hpa, resources: a.resources },
    }));
}

/** The StackReference name of a platform stack: `org/project/stack`, this project's unless qualified. */
export function platformStackName(platformStack: string): string {
    return platformStack.includes("/") ? platformStack : `${pulumi.getOrganization()}/${pulumi.getProject()}/${platformStack}`;
}

/**
 * The tenant's half: reads the platform stack, checks this stack's tenant against it (a
 * ConfigError naming the key and the fix, before any resource), then registers the tenant.
 */
export async function tenantStack(cfg: TenantStackConfig, opts: pulumi.ComponentResourceOptions = {}): Promise<TenantOutputs> {
    const ref = new pulumi.StackReference(`platform-${cfg.platformStack}`, { name: platformStackName(cfg.platformStack) });
    const platform = (await ref.getOutputDetails("tenantPlatform")).value as TenantPlatform | undefined;
    const password = platform?.registry?.password?.source === "pulumi" ? (ref.requireOutput("tenantRegistryPassword") as pulumi.Output<string>) : undefined;
    const r = new Reader(PROJECT);
    const tenant = tenantConfig(cfg, platform, password, r);
    if (!tenant || r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return tenantResources(tenant, opts);
}

/**
 * The tenant at the root of the stack, named as the platform stack names it (`agency-<tenant>`):
 * where `pulumi state move` puts a tenant moved here from the platform stack, so that its
 * resources are this stack's as they are, and its images (the platform's, or its own).
 */
export function tenantResources(t: TenantConfig, opts: pulumi.ComponentResourceOptions = {}): TenantOutputs {
    const agentImage = new ContainerImage("agency-image", { spec: t.image, registry: t.registry }, opts);
    const brainImage = t.brainImage === t.image ? agentImage : new ContainerImage("agency-brain-image", { spec: t.brainImage, registry: t.registry }, opts);
    const tenant = new AgencyTenant(
        `agency-${t.tenant}`,
        {
            tenant: t.tenant,
            namespace: t.namespace,
            agentImage: agentImage.ref,
            brainImage: brainImage.ref,
            agentStorage: t.agentStorage,
            brainStorage: t.brainStorage,
            hpa: t.hpa,
            resources: t.resources,
            registry: t.registry,
            storageClass: t.storageClass,
            priorityClassName: t.priorityClassName,
            monitoringNamespace: t.monitoringNamespace,
            agentState: t.agentState,
            alertRules: t.alertRules,
            dashboards: t.dashboards,
            backups: t.backups,
        },
        opts,
    );
    return { namespace: tenant.namespace, agencyEndpoints: tenant.endpoints.apply((e) => ({ [t.tenant]: e })) };
}
