// Composes the tiers in dependency order and gathers the stack's outputs. index.ts calls
// this with the validated config; the tests call it with configs of their own.
import * as pulumi from "@pulumi/pulumi";
import { IngressConfig, PlatformConfig, TenantPlatform } from "./config";
import { Agency } from "./components/agency";
import { AgentRuntime } from "./components/agentRuntime";
import { SnapshotHistory } from "./components/backups";
import { AGENTSTATE_API_PORT, AgentState } from "./components/agentState";
import { BusinessLogic } from "./components/businessLogic";
import { Connector } from "./components/connector";
import { PriorityClasses } from "./components/priority";
import { TigerBeetleCluster } from "./components/tigerbeetle";
import { tenantPlatformOutput } from "./tenant";

export interface PlatformOutputs {
    spspEndpoint: pulumi.Output<{ url: string; paymentPointer: string }>;
    explorerUrl: pulumi.Output<string>;
    btpUrl: pulumi.Output<string>;
    agentStateUrl: pulumi.Output<string>;
    tigerBeetleAddresses: pulumi.Output<string[]>;
    tigerBeetleClusterId: pulumi.Output<string>;
    capKeyIds: { active: string; next: string };
    capKeys: pulumi.Output<{ active: string; next: string }>;
    agencyEndpoints: pulumi.Output<Record<string, { agent: string; healthMonitor: string; brain: string }>>;
    /** What the tenant stacks read (README, "Tenant stacks"); nothing secret. */
    tenantPlatform: pulumi.Output<TenantPlatform>;
    /** The registry password the tenant stacks' pull Secrets hold, when this stack's config holds it: a secret. */
    tenantRegistryPassword?: pulumi.Output<string>;
    /** The ledger's pre-change snapshot record, which the next update reads back (`backups`). */
    tigerBeetleSnapshots?: pulumi.Output<SnapshotHistory>;
}

/**
 * Registers every tier. `opts` (providers, transformations) apply to each tier and so to
 * every resource in it: pass an explicit Kubernetes provider to target a given cluster.
 */
export function platform(cfg: PlatformConfig, opts: pulumi.ComponentResourceOptions = {}): PlatformOutputs {
    const prod = cfg.environment === "prod";
    /** What a tier's ingress args are when the stack has an ingress; undefined otherwise. */
    const via = <T>(args: (ingress: IngressConfig) => T): T | undefined => (cfg.ingress ? args(cfg.ingress) : undefined);
    const priorities = new PriorityClasses("priorities", { prefix: cfg.agency.namespacePrefix }, opts);
    const common = { registry: cfg.registry, storageClass: cfg.storageClass, priorityClassName: priorities.platform, alertRules: cfg.alertRules, dashboards: cfg.dashboards, backups: cfg.backups };
    const tenantNamespaces = cfg.agency.tenants.map((t) => `${cfg.agency.namespacePrefix}${t}`);
    // The tenant stacks' namespaces: the platform admits them to AgentState as its own tenants'.
    const tenantStackNamespaces = cfg.agency.tenantStacks.map((t) => `${cfg.agency.namespacePrefix}${t}`);

    const tigerbeetle = new TigerBeetleCluster("tigerbeetle", {
        ...cfg.tigerbeetle,
        ...common,
        clientNamespaces: [cfg.connector.namespace],
        protect: prod,
        previousSnapshots: cfg.backups && cfg.backups.preChangeSnapshots > 0 ? lastUpdateOutput<SnapshotHistory>("tigerBeetleSnapshots", opts) : undefined,
    }, opts);

    const businessLogic = new BusinessLogic("business-logic", {
        ...cfg.businessLogic,
        ...common,
        callerNamespaces: [cfg.agentRuntime.namespace],
        protect: prod,
    }, opts);

    const agentRuntime = new AgentRuntime("agent-runtime", {
        ...cfg.agentRuntime,
        registry: cfg.registry,
        priorityClassName: priorities.platform,
        alertRules: cfg.alertRules,
        dashboards: cfg.dashboards,
        businessLogic: { url: businessLogic.url, namespace: businessLogic.namespace, port: businessLogic.port },
        callerNamespaces: [cfg.connector.namespace],
        ingress: via((i) => ({ settings: i, spspHost: i.hosts.spsp })),
    }, opts);

    const connector = new Connector("connector", {
        ...cfg.connector,
        registry: cfg.registry,
        priorityClassName: priorities.platform,
        alertRules: cfg.alertRules,
        dashboards: cfg.dashboards,
        environment: cfg.environment,
        tigerbeetle: { clusterId: tigerbeetle.clusterId, addresses: tigerbeetle.addresses, namespace: tigerbeetle.namespace },
        localDelivery: { url: agentRuntime.url, namespace: agentRuntime.namespace },
        routePrefix: cfg.agentRuntime.baseAddress,
        monitoringNamespace: cfg.monitoringNamespace,
        ingress: via((i) => ({ settings: i, btpHost: i.hosts.btp, explorerHost: i.hosts.explorer })),
    }, opts);

    const agentState = new AgentState("agentstate", {
        ...cfg.agentState,
        ...common,
        environment: cfg.environment,
        monitoringNamespace: cfg.monitoringNamespace,
        clientNamespaces: [cfg.agentRuntime.namespace, ...tenantNamespaces, ...tenantStackNamespaces],
        ingress: via((i) => ({ settings: i, host: i.hosts.agentState })),
        protect: prod,
    }, opts);

    const agency = new Agency("agency", {
        ...cfg.agency,
        ...common,
        priorityClassName: priorities.tenant,
        namespaces: Object.fromEntries(cfg.agency.tenants.map((t, i) => [t, tenantNamespaces[i]])),
        monitoringNamespace: cfg.monitoringNamespace,
        agentState: { namespace: agentState.namespace, port: AGENTSTATE_API_PORT },
    }, opts);

    return {
        spspEndpoint: pulumi.all([agentRuntime.spspUrl, agentRuntime.paymentPointer]).apply(([url, paymentPointer]) => ({ url, paymentPointer })),
        explorerUrl: connector.explorerUrl,
        btpUrl: connector.btpUrl,
        agentStateUrl: agentState.url,
        tigerBeetleAddresses: tigerbeetle.addresses,
        tigerBeetleClusterId: tigerbeetle.clusterId,
        capKeyIds: agentState.capKeyIds,
        capKeys: agentState.capKeys,
        agencyEndpoints: agency.endpoints,
        tenantPlatform: tenantPlatformOutput(cfg, { priorityClassName: priorities.tenant, images: agency.images, agentStateNamespace: agentState.namespace }),
        tenantRegistryPassword: cfg.registry?.password?.source === "pulumi" ? cfg.registry.password.value : undefined,
        tigerBeetleSnapshots: tigerbeetle.snapshots,
    };
}

/**
 * An output of this stack's last update, read back through a StackReference to the stack
 * itself: undefined before the first update, or when that update did not export it.
 */
function lastUpdateOutput<T>(output: string, opts: pulumi.ComponentResourceOptions): pulumi.Output<T | undefined> {
    const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const ref = new pulumi.StackReference(`last-update-${output}`, { name: self }, { parent: opts.parent });
    return ref.getOutput(output) as pulumi.Output<T | undefined>;
}
