// The typed platform config the tiers receive. Nothing here reads pulumi.Config: the
// config layer (this folder) fills these from the stack's keys, declared once each in
// the tier's module (stack.ts, tigerbeetle.ts, ...), and the components take them as
// plain typed args.
import * as pulumi from "@pulumi/pulumi";

export const PROJECT = "m2m-platform";

/** CPU and memory requests and limits, in Kubernetes quantity notation. */
export interface ResourceFigures {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

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
    /** With the external source, the cluster's pull Secrets read it from the store; pushes use the deploying machine's `docker login`. */
    password?: Credential;
}

/** Where the External Secrets Operator reads an operator-supplied credential: a key of the store (and a property of it). */
export interface RemoteRef {
    key: string;
    property?: string;
    version?: string;
}

/** The ClusterSecretStore the credentials are read from, and how often ESO reads them again. */
export interface ExternalStore {
    store: string;
    refreshInterval: string;
}

/**
 * An operator-supplied credential (connector keys, registry password, database URL): its
 * value from Pulumi secret config, or a key of the external store that an ExternalSecret
 * maps into the same Secret. The CAP keys and passwords the program generates are not
 * credentials of this kind: they stay Pulumi secrets.
 */
export type Credential = { source: "pulumi"; value: pulumi.Output<string> } | { source: "externalSecrets"; store: ExternalStore; remote: RemoteRef };

/** `secrets`: Pulumi config (today's behaviour) or External Secrets Operator against a ClusterSecretStore. */
export type SecretsConfig = { source: "pulumi" } | ({ source: "externalSecrets" } & ExternalStore);

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
    /** `tigerbeetle.restoreFrom`: the snapshot set the replicas' claims are recreated from. */
    restoreFrom?: string;
}

/** `backups`, when enabled: Velero Schedules and the ledger's pre-change snapshots. */
export interface BackupConfig {
    veleroNamespace: string;
    storageLocation?: string;
    /** The VolumeSnapshotClass of the pre-change snapshots (and Velero's CSI snapshots). */
    snapshotClass: string;
    schedule: string;
    /** The schedule's longest gap between two runs: a backup older than twice it is overdue. */
    periodSeconds: number;
    retentionDays: number;
    /** Pre-change snapshot sets of the ledger kept; 0: none are made. */
    preChangeSnapshots: number;
}

export interface ConnectorSecrets {
    evmPrivateKey: Credential;
    m2mTokenAddress: Credential;
    tokenNetworkRegistry: Credential;
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
    /** Undefined only in dev with the pulumi source: the tier then generates a throwaway key. */
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
          url: Credential;
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
    resources: ResourceFigures;
    /** Application-consistent snapshots through the admin API on a schedule (a CronJob); undefined when off. */
    snapshots?: AgentStateSnapshots;
    /** Restore the data volume from a snapshot before the server starts (a Job); undefined when no snapshot is named. */
    restore?: { snapshotId: string; image: string };
}

export interface AgentStateSnapshots {
    /** Five-field cron, UTC. */
    schedule: string;
    /** After each snapshot, trim the WAL up to it. */
    trimWal: boolean;
    /** The port serving `/admin/*`. */
    port: number;
    /** The image running the snapshot call (needs curl). */
    image: string;
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
    /** The schedule's longest gap between two runs: a last good snapshot older than twice it is overdue. */
    periodSeconds: number;
}

export interface AgencyConfig {
    /** The one-stack layout: the tenants this stack runs itself. */
    tenants: string[];
    /** The tenants that run as stacks of their own (`<stack>.<tenant>`, stackKind tenant). */
    tenantStacks: string[];
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

/** What every tenant's workloads are sized by, in either layout. */
export type TenantSettings = Pick<AgencyConfig, "agentStorage" | "brainStorage" | "hpa" | "resources">;

/**
 * What a platform stack exports for its tenant stacks (its `tenantPlatform` output), and all
 * that a tenant stack reads of it. Nothing in it is secret: the registry password, when the
 * platform holds it in its config, is the separate secret output `tenantRegistryPassword`.
 */
export interface TenantPlatform {
    /** The shape's version (config/tenant.ts reads 1). */
    version: number;
    stack: string;
    environment: Environment;
    /** The one-stack layout's tenants: no tenant stack may hold one of them too. */
    tenants: string[];
    /** Each tenant of agency.tenantStacks and the namespace the platform admits to AgentState for it. */
    tenantStacks: Record<string, { namespace: string }>;
    /** The agent and Brain images the platform resolved or built (digest-pinned for builds). */
    images: { agent: string; brain: string };
    registry?: { server: string; username?: string; password?: { source: "pulumi" } | { source: "externalSecrets"; store: ExternalStore; remote: RemoteRef } };
    storageClass?: string;
    /** The network-policy peers: Prometheus's namespace (admitted in) and AgentState's API (admitted out). */
    monitoringNamespace: string;
    agentState: { namespace: string; port: number };
    alertRules: boolean;
    /** `monitoring.dashboards` (absent from platform stacks deployed before it existed). */
    dashboards?: boolean;
    /** The platform's `backups`, when on: each tenant stack backs its namespace up the same way. */
    backups?: BackupConfig;
    /** The tenants' PriorityClass, which the platform stack creates (its policy pack judges tenant pods by it). */
    priorityClass: { name: string; value: number; preemptionPolicy: string };
    /** The platform's agency settings, which a tenant stack's own `agency` fields override. */
    agency: TenantSettings;
}

/** A tenant stack's own config, before its platform stack is read. */
export interface TenantStackConfig {
    stack: string;
    environment: Environment;
    platformStack: string;
    tenant: string;
    /** The `agency` fields this stack sets, as written. */
    overrides: Record<string, unknown>;
}

/** Everything a tenant stack deploys its tenant with: its config over its platform's `tenantPlatform`. */
export interface TenantConfig extends TenantSettings {
    stack: string;
    environment: Environment;
    platformStack: string;
    tenant: string;
    namespace: string;
    image: ImageSpec;
    brainImage: ImageSpec;
    registry?: RegistryConfig;
    storageClass?: string;
    monitoringNamespace: string;
    alertRules: boolean;
    dashboards: boolean;
    /** The platform stack's `backups` (undefined when off). */
    backups?: BackupConfig;
    priorityClassName: string;
    agentState: { namespace: string; port: number };
}

export interface PlatformConfig {
    stack: string;
    environment: Environment;
    /** Where the operator-supplied credentials come from (`secrets`). */
    secrets: SecretsConfig;
    storageClass?: string;
    registry?: RegistryConfig;
    ingress?: IngressConfig;
    monitoringNamespace: string;
    /** `monitoring.alertRules`: each tier creates a PrometheusRule with its alerts. */
    alertRules: boolean;
    /** `monitoring.dashboards`: each tier creates a ConfigMap with its Grafana dashboard. */
    dashboards: boolean;
    /** `backups`: undefined when off (dev). */
    backups?: BackupConfig;
    tigerbeetle: TigerBeetleConfig;
    connector: ConnectorConfig;
    agentRuntime: AgentRuntimeConfig;
    businessLogic: BusinessLogicConfig;
    agentState: AgentStateConfig;
    agency: AgencyConfig;
}
