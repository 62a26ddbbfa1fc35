import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { recommendedLabels } from "./kube";

export interface PriorityClassesArgs {
    /** Prefixes the (cluster-scoped) names, so two stacks can share a cluster. */
    prefix: string;
}

/** The values: far above the default 0, below `system-cluster-critical` (2e9). */
export const PLATFORM_PRIORITY = 100000;
export const TENANT_PRIORITY = 1000;
/** Tenant pods queue ahead of lower-priority pods but never evict running ones. */
export const TENANT_PREEMPTION = "Never";

/**
 * Two PriorityClasses: the platform's tiers (ledger, connector, runtime, state) above the
 * agency tenants, whose pods autoscale. When nodes run short, the scheduler preempts tenant
 * pods to place a platform pod, never the other way round; tenant pods never preempt.
 */
export class PriorityClasses extends pulumi.ComponentResource {
    /** The platform tiers' PriorityClass name. */
    public readonly platform: pulumi.Output<string>;
    /** The agency tenants' PriorityClass name. */
    public readonly tenant: pulumi.Output<string>;

    constructor(name: string, args: PriorityClassesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:PriorityClasses", name, {}, opts);
        const labels = recommendedLabels({ name: "m2m-platform", instance: name, component: "scheduling" });
        const priorityClass = (role: string, value: number, preemptionPolicy: string, description: string) =>
            new k8s.scheduling.v1.PriorityClass(
                `${name}-${role}`,
                { metadata: { name: `${args.prefix}m2m-${role}`, labels }, value, preemptionPolicy, description },
                { parent: this },
            );
        const platform = priorityClass("platform", PLATFORM_PRIORITY, "PreemptLowerPriority", "M2M platform tiers: the ledger, connector, agent runtime, business logic and AgentState");
        const tenant = priorityClass("tenant", TENANT_PRIORITY, TENANT_PREEMPTION, "M2M digital agency tenants: autoscaled, preempted before any platform pod");
        this.platform = platform.metadata.name;
        this.tenant = tenant.metadata.name;
        this.registerOutputs({ platform: this.platform, tenant: this.tenant });
    }
}
