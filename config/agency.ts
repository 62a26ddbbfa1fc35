// The digital agency's key: its tenants (one namespace each) and their workloads.
import { fig, hpa, image, optionalImage, quantity, readHpa, resources } from "./kinds";
import { DNS_LABEL } from "./reader";
import { Context, FieldsOf, Section, declare, group, int, list, section } from "./schema";
import { AgencyConfig } from "./types";

export const AGENCY = declare(
    "agency",
    "The digital agency, one namespace per tenant",
    group({
        tenants: list({ default: ["client-a"], of: "tenant names", note: "DNS-1123 labels; the one-stack layout: each runs in this stack" }),
        tenantStacks: list({ default: [], of: "tenant names", note: "DNS-1123 labels, none also in tenants; each runs in a tenant stack of its own, `<stack>.<tenant>` (README, Tenant stacks)" }),
        image: image({ repo: "digital-agency" }),
        brainImage: optionalImage({ repo: "digital-agency-brain", unset: "same as `image`" }),
        agentStorage: quantity({ default: "5Gi" }),
        brainStorage: quantity({ default: "10Gi" }),
        hpa: hpa({ minReplicas: 1, maxReplicas: 5, cpuUtilization: 80, memoryUtilization: 85 }, { queueLengthTarget: int({ default: 5, min: 1 }) }),
        // The agent pod is autoscaled: memory limit = request (README, "Autoscaling").
        resources: group({
            agent: resources(fig("250m", "1Gi", "1000m", "1Gi")),
            healthMonitor: resources(fig("50m", "128Mi", "200m", "128Mi")),
            swarm: resources(fig("100m", "256Mi", "500m", "256Mi")),
            elasticSwarm: resources(fig("50m", "128Mi", "200m", "128Mi")),
            brain: resources(fig("250m", "512Mi", "1000m", "2Gi")),
        }),
    }),
);

export const AGENCY_KEYS = [AGENCY];

/** The fields of `agency` a tenant stack may set for its own tenant (over what its platform stack uses). */
export const TENANT_FIELDS = ["image", "brainImage", "agentStorage", "brainStorage", "hpa", "resources"] as const;

/** `tierNamespaces`: the platform's own namespaces, which no tenant may take. */
export function readAgency(ctx: Context, tierNamespaces: string[]): AgencyConfig {
    const s = section(ctx, AGENCY);
    const tenants = readTenants(ctx, "agency.tenants", s.read("tenants"), tierNamespaces);
    const tenantStacks = readTenants(ctx, "agency.tenantStacks", s.read("tenantStacks"), tierNamespaces).filter((t) => {
        if (!tenants.includes(t)) {
            return true;
        }
        ctx.r.fail(
            "agency.tenantStacks",
            `tenant ${t} is listed in both layouts (also in agency.tenants)`,
            `keep it in one list: agency.tenants runs it in stack ${ctx.stack}, agency.tenantStacks in stack ${ctx.stack}.${t}; to move it between them see the README, "Moving a tenant between the layouts"`,
        );
        return false;
    });
    const agencyImage = s.read("image");
    return {
        tenants,
        tenantStacks,
        namespacePrefix: ctx.prefix ?? "",
        image: agencyImage,
        brainImage: s.read("brainImage") ?? agencyImage,
        ...readTenantSettings(s),
    };
}

/** What every tenant's workloads are sized by: storage, autoscaling and resources. */
export function readTenantSettings(s: Section<FieldsOf<typeof AGENCY.value>>): Pick<AgencyConfig, "agentStorage" | "brainStorage" | "hpa" | "resources"> {
    const hpaSection = s.section("hpa");
    const res = s.section("resources");
    return {
        agentStorage: s.read("agentStorage"),
        brainStorage: s.read("brainStorage"),
        hpa: { ...readHpa(hpaSection), queueLengthTarget: hpaSection.read("queueLengthTarget") },
        resources: {
            agent: res.read("agent"),
            healthMonitor: res.read("healthMonitor"),
            swarm: res.read("swarm"),
            elasticSwarm: res.read("elasticSwarm"),
            brain: res.read("brain"),
        },
    };
}

/** Tenant names at `key`: DNS-1123 labels (with the prefix), each once, none a tier's namespace. */
function readTenants(ctx: Context, key: string, listed: unknown[], tierNamespaces: string[]): string[] {
    const { r } = ctx;
    const prefix = ctx.prefix ?? "";
    const tenants: string[] = [];
    for (const t of listed) {
        const name = String(t);
        if (!DNS_LABEL.test(name) || `${prefix}${name}`.length > 63) {
            r.fail(key, `tenant ${JSON.stringify(t)} is not a DNS-1123 label`, "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters with the namespace prefix");
        } else if (tenants.includes(name)) {
            r.fail(key, `tenant ${name} is listed twice`, "list each tenant once");
        } else if (tierNamespaces.includes(`${prefix}${name}`)) {
            r.fail(key, `tenant ${name} would share namespace ${prefix}${name} with a platform tier`, "rename the tenant");
        } else {
            tenants.push(name);
        }
    }
    return tenants;
}
