import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgencyConfig, BackupConfig, RegistryConfig } from "../config";
import { agencyTenantRules, alertRules } from "./alerts";
import { tierBackup } from "./backups";
import { agencyTenantDashboard, dashboardConfigMap, dashboardUid } from "./dashboards";
import { ContainerImage } from "./image";
import { TierBase, tierBase } from "./tier";
import {
    Identity,
    ResourceFigures,
    RETAIN_CLAIMS,
    autoscaler,
    clusterService,
    disruptionBudget,
    hardenedContainer,
    hardenedPodSpec,
    httpProbes,
    inNamespace,
    networkPolicy,
    podMetadata,
    podsLabelled,
    publicInternet,
    recommendedLabels,
    scrapeAnnotations,
    selectorLabels,
    tcpPorts,
    volumeClaim,
} from "./kube";

export const AGENCY_PORTS = { agent: 3000, brain: 3002, healthMonitor: 3004, swarm: 3005, elasticSwarm: 3006 };
const AGENT_HOME = "/app/.agent";

export interface AgencyArgs extends Omit<AgencyConfig, "namespacePrefix"> {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    /** Tenant name -> namespace. */
    namespaces: Record<string, string>;
    registry?: RegistryConfig;
    storageClass?: string;
    monitoringNamespace: string;
    agentState: { namespace: pulumi.Input<string>; port: number };
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
    /** A Velero Schedule for the namespace's data (`backups`); none when undefined. */
    backups?: BackupConfig;
}

/**
 * The digital agency tier: its images, built or resolved once, and one AgencyTenant per
 * tenant. Removing a tenant from config removes only that tenant's child resources.
 */
export class Agency extends pulumi.ComponentResource {
    public readonly endpoints: pulumi.Output<Record<string, { agent: string; healthMonitor: string; brain: string }>>;
    public readonly tenants: Record<string, AgencyTenant>;
    /** The agent and Brain images the tenants run: what the tenant stacks run too. */
    public readonly images: { agent: pulumi.Output<string>; brain: pulumi.Output<string> };

    constructor(name: string, args: AgencyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:Agency", name, {}, opts);
        const agentImage = new ContainerImage(`${name}-image`, { spec: args.image, registry: args.registry }, { parent: this });
        const brainImage =
            args.brainImage === args.image
                ? agentImage
                : new ContainerImage(`${name}-brain-image`, { spec: args.brainImage, registry: args.registry }, { parent: this });
        this.tenants = Object.fromEntries(
            args.tenants.map((tenant) => [
                tenant,
                new AgencyTenant(
                    `${name}-${tenant}`,
                    {
                        ...args,
                        tenant,
                        namespace: args.namespaces[tenant],
                        agentImage: agentImage.ref,
                        brainImage: brainImage.ref,
                    },
                    // `pulumi state move` puts a tenant moved here from its tenant stack at the
                    // root of this stack (README, "Moving a tenant between the layouts"): the
                    // alias takes it, and its resources, as this tenant, touching nothing.
                    { parent: this, aliases: [{ parent: pulumi.rootStackResource }] },
                ),
            ]),
        );
        this.images = { agent: agentImage.ref, brain: brainImage.ref };
        const names = Object.keys(this.tenants);
        this.endpoints = pulumi
            .all(names.map((t) => this.tenants[t].endpoints))
            .apply((eps) => Object.fromEntries(eps.map((ep, i) => [names[i], ep])));
        this.registerOutputs({ endpoints: this.endpoints });
    }
}

export interface AgencyTenantArgs {
    registry?: RegistryConfig;
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    tenant: string;
    namespace: string;
    agentImage: pulumi.Input<string>;
    brainImage: pulumi.Input<string>;
    storageClass?: string;
    agentStorage: string;
    brainStorage: string;
    hpa: AgencyConfig["hpa"];
    resources: AgencyConfig["resources"];
    monitoringNamespace: string;
    /** The AgentState API namespace and port, the one platform service tenants reach. */
    agentState: { namespace: pulumi.Input<string>; port: number };
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
    /** A Velero Schedule for the namespace's data (`backups`); none when undefined. */
    backups?: BackupConfig;
}

/**
 * One tenant of the digital agency in its own namespace: the agent StatefulSet (agent,
 * health-monitor, swarm and elastic-swarm containers sharing `.agent`), the Brain
 * StatefulSet, their Services, an HPA on CPU, memory and `queue_length`, and network
 * policies under which no tenant reaches another.
 */
export class AgencyTenant extends pulumi.ComponentResource {
    public readonly endpoints: pulumi.Output<{ agent: string; healthMonitor: string; brain: string }>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: AgencyTenantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:AgencyTenant", name, {}, opts);
        // The namespace, its ServiceAccount and policies are the agent's; the Brain shares them.
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: { kind: "existing", ref: args.agentImage },
            registry: args.registry,
            appName: "agency-agent",
            component: "agent",
            holdsData: true,
        });
        const brainId: Identity = { name: "agency-brain", instance: name, component: "brain" };
        const brainUrl = pulumi.interpolate`http://brain.${base.ns}.svc.cluster.local:${AGENCY_PORTS.brain}`;
        this.agentStatefulSet(name, args, base, brainUrl);
        this.brainStatefulSet(name, args, base, brainId);
        this.services(name, base, brainId);
        this.agentAutoscaler(name, args, base);
        if (args.hpa.maxReplicas > 1) {
            disruptionBudget(this, `${name}-pdb`, { name: "agent", namespace: base.ns, id: base.id, maxUnavailable: 1 });
        }
        const backup = tierBackup(this, `${name}-backup`, { backups: args.backups, namespace: args.namespace, labels: base.labels });
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, {
                namespace: base.ns,
                labels: base.labels,
                group: agencyTenantRules({ tenant: args.tenant, namespace: args.namespace, hpa: "agent-hpa", queueLengthTarget: args.hpa.queueLengthTarget, backup }),
            });
        }
        if (args.dashboards) {
            const dashboard = agencyTenantDashboard({ tenant: args.tenant, namespace: args.namespace, hpa: "agent-hpa", queueLengthTarget: args.hpa.queueLengthTarget, statefulSets: ["agent", "brain"] });
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: dashboardUid(`agency-${args.tenant}`), namespace: base.ns, labels: base.labels, dashboard });
        }
        this.isolate(name, args, base);

        this.namespace = base.ns;
        this.endpoints = pulumi.all([base.ns]).apply(([n]) => ({
            agent: `http://agent.${n}.svc.cluster.local:${AGENCY_PORTS.agent}`,
            healthMonitor: `http://agent.${n}.svc.cluster.local:${AGENCY_PORTS.healthMonitor}`,
            brain: `http://brain.${n}.svc.cluster.local:${AGENCY_PORTS.brain}`,
        }));
        this.registerOutputs({ endpoints: this.endpoints, namespace: this.namespace });
    }

    /** The agent with its health-monitor, swarm and elastic-swarm sidecars, sharing `.agent`; the HPA owns its replica count. */
    private agentStatefulSet(name: string, args: AgencyTenantArgs, base: TierBase, brainUrl: pulumi.Output<string>) {
        return new k8s.apps.v1.StatefulSet(
            `${name}-agent`,
            {
                metadata: { name: "agent", namespace: base.ns, labels: base.labels },
                spec: {
                    replicas: args.hpa.minReplicas,
                    serviceName: "agent-pods",
                    podManagementPolicy: "Parallel",
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(base.id) },
                    template: {
                        // The elastic swarm counts the pending tasks: its /metrics serves
                        // queue_length, which Prometheus scrapes and the Prometheus Adapter
                        // serves to the HPA as a per-pod metric.
                        metadata: podMetadata(base.id, scrapeAnnotations(AGENCY_PORTS.elasticSwarm)),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            placement: { id: base.id, spread: "preferred" },
                            priorityClassName: args.priorityClassName,
                            containers: agentContainers(args, base.image.ref, brainUrl),
                        }),
                    },
                    volumeClaimTemplates: [
                        volumeClaim("agent", args.agentStorage, args.storageClass),
                        volumeClaim("brain", args.brainStorage, args.storageClass),
                    ],
                },
            },
            // The HPA owns the replica count.
            { parent: this, ignoreChanges: ["spec.replicas"] },
        );
    }

    private brainStatefulSet(name: string, args: AgencyTenantArgs, base: TierBase, brainId: Identity) {
        return new k8s.apps.v1.StatefulSet(
            `${name}-brain`,
            {
                metadata: { name: "brain", namespace: base.ns, labels: recommendedLabels(brainId) },
                spec: {
                    replicas: 1,
                    serviceName: "brain-pods",
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(brainId) },
                    template: {
                        metadata: podMetadata(brainId),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            placement: { id: brainId, spread: "preferred" },
                            priorityClassName: args.priorityClassName,
                            containers: [
                                tenantContainer(args.tenant, {
                                    role: "brain",
                                    port: AGENCY_PORTS.brain,
                                    portName: "api",
                                    image: args.brainImage,
                                    resources: args.resources.brain,
                                    mounts: [BRAIN_HOME_MOUNT],
                                }),
                            ],
                        }),
                    },
                    volumeClaimTemplates: [volumeClaim("brain", args.brainStorage, args.storageClass)],
                },
            },
            { parent: this },
        );
    }

    /** A ClusterIP and a headless (governing) Service for each of the agent and the Brain. */
    private services(name: string, base: TierBase, brainId: Identity) {
        const agentPorts = [
            { name: "api", port: AGENCY_PORTS.agent },
            { name: "health-monitor", port: AGENCY_PORTS.healthMonitor },
            { name: "swarm", port: AGENCY_PORTS.swarm },
            { name: "elastic-swarm", port: AGENCY_PORTS.elasticSwarm },
        ];
        clusterService(this, `${name}-agent-service`, { name: "agent", namespace: base.ns, id: base.id, ports: agentPorts });
        clusterService(this, `${name}-agent-pods`, { name: "agent-pods", namespace: base.ns, id: base.id, ports: agentPorts, headless: true });
        const brainPorts = [{ name: "api", port: AGENCY_PORTS.brain }];
        clusterService(this, `${name}-brain-service`, { name: "brain", namespace: base.ns, id: brainId, ports: brainPorts });
        clusterService(this, `${name}-brain-pods`, { name: "brain-pods", namespace: base.ns, id: brainId, ports: brainPorts, headless: true });
    }

    private agentAutoscaler(name: string, args: AgencyTenantArgs, base: TierBase) {
        autoscaler(this, `${name}-hpa`, {
            name: "agent-hpa",
            namespace: base.ns,
            id: base.id,
            target: { apiVersion: "apps/v1", kind: "StatefulSet", name: "agent" },
            minReplicas: args.hpa.minReplicas,
            maxReplicas: args.hpa.maxReplicas,
            cpuUtilization: args.hpa.cpuUtilization,
            memoryUtilization: args.hpa.memoryUtilization,
            // Needs a custom-metrics adapter (Prometheus Adapter) serving queue_length.
            extraMetrics: [
                {
                    type: "Pods",
                    pods: {
                        metric: { name: "queue_length" },
                        target: { type: "AverageValue", averageValue: String(args.hpa.queueLengthTarget) },
                    },
                },
            ],
        });
    }

    /**
     * Tenant isolation: pods talk to their own namespace, the public internet (model APIs),
     * DNS and the AgentState API; nothing from another tenant gets in.
     */
    private isolate(name: string, args: AgencyTenantArgs, base: TierBase) {
        networkPolicy(this, `${name}-netpol`, {
            name: "tenant-isolation",
            namespace: base.ns,
            labels: base.labels,
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                { from: [podsLabelled({})] },
                { from: [inNamespace(args.monitoringNamespace)], ports: tcpPorts(AGENCY_PORTS.healthMonitor, AGENCY_PORTS.elasticSwarm) },
            ],
            egress: [
                { to: [podsLabelled({})] },
                { to: [inNamespace(args.agentState.namespace)], ports: tcpPorts(args.agentState.port) },
                { to: [publicInternet()], ports: tcpPorts(443) },
            ],
        });
    }
}

const AGENT_HOME_MOUNT = { name: "agent", mountPath: AGENT_HOME };
const BRAIN_HOME_MOUNT = { name: "brain", mountPath: `${AGENT_HOME}/brain` };

interface TenantContainerArgs {
    role: string;
    port: number;
    /** The port's name, probed by name; without it the port is named after the role and probed by number. */
    portName?: string;
    image: pulumi.Input<string>;
    resources: ResourceFigures;
    mounts: { name: string; mountPath: string }[];
    brainUrl?: pulumi.Input<string>;
}

/** A tenant container: the image running `role` on `port`, told its company (and the Brain's URL). */
function tenantContainer(tenant: string, c: TenantContainerArgs) {
    return hardenedContainer({
        name: c.role,
        image: c.image,
        ports: [{ name: c.portName ?? c.role, containerPort: c.port }],
        env: [
            { name: "COMPANY", value: tenant },
            { name: "ROLE", value: c.role },
            { name: "PORT", value: String(c.port) },
            ...(c.brainUrl ? [{ name: "BRAIN_URL", value: c.brainUrl }] : []),
        ],
        resources: c.resources,
        volumeMounts: c.mounts,
        ...httpProbes(c.portName ?? c.port, { ready: "/health" }),
    });
}

/** The agent pod's containers: the agent (which also mounts the Brain's home) and its three sidecars. */
function agentContainers(args: AgencyTenantArgs, image: pulumi.Input<string>, brainUrl: pulumi.Output<string>) {
    const sidecar = (role: string, port: number, resources: ResourceFigures, portName?: string) =>
        tenantContainer(args.tenant, { role, port, portName, image, resources, mounts: [AGENT_HOME_MOUNT], brainUrl });
    return [
        tenantContainer(args.tenant, {
            role: "agent",
            port: AGENCY_PORTS.agent,
            portName: "api",
            image,
            resources: args.resources.agent,
            mounts: [AGENT_HOME_MOUNT, BRAIN_HOME_MOUNT],
            brainUrl,
        }),
        sidecar("health-monitor", AGENCY_PORTS.healthMonitor, args.resources.healthMonitor),
        sidecar("swarm", AGENCY_PORTS.swarm, args.resources.swarm),
        sidecar("elastic-swarm", AGENCY_PORTS.elasticSwarm, args.resources.elasticSwarm, "metrics"),
    ];
}
