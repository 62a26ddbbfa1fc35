import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentRuntimeConfig, RegistryConfig } from "../config";
import { agentRuntimeRules, alertRules } from "./alerts";
import { agentRuntimeDashboard, dashboardConfigMap } from "./dashboards";
import { TierBase, tierBase } from "./tier";
import {
    IngressSettings,
    clusterService,
    configChecksum,
    disruptionBudget,
    hardenedContainer,
    hardenedPodSpec,
    httpProbes,
    inNamespace,
    networkPolicy,
    podMetadata,
    publicIngress,
    publicScheme,
    selectorLabels,
    tcpPorts,
} from "./kube";

export const AGENT_RUNTIME_PORT = 3100;
export const SPSP_PATH = "/.well-known/pay";

export interface AgentRuntimeArgs extends Omit<AgentRuntimeConfig, "namespace"> {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    namespace: string;
    registry?: RegistryConfig;
    /** The business logic Service URL and namespace (egress is limited to it). */
    businessLogic: { url: pulumi.Input<string>; namespace: pulumi.Input<string>; port: number };
    /** Namespaces whose pods deliver packets here (the connector's). */
    callerNamespaces: pulumi.Input<string>[];
    ingress?: { settings: IngressSettings; spspHost: string };
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
}

/** The agent runtime: SPSP (`/.well-known/pay`) and STREAM on 3100, calling the business logic. */
export class AgentRuntime extends pulumi.ComponentResource {
    /** In-cluster base URL, the connector's local delivery target. */
    public readonly url: pulumi.Output<string>;
    public readonly spspUrl: pulumi.Output<string>;
    /** The payment pointer that resolves to `spspUrl` (`$host`). */
    public readonly paymentPointer: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: AgentRuntimeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:AgentRuntime", name, {}, opts);
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "m2m-agent-runtime",
            component: "agent-runtime",
        });
        const config = this.config(name, args, base);
        const deployment = this.deployment(name, args, base, config);
        const service = clusterService(this, `${name}-service`, {
            name: "agent-runtime",
            namespace: base.ns,
            id: base.id,
            ports: [{ name: "http", port: AGENT_RUNTIME_PORT }],
        });
        if (args.replicas > 1) {
            disruptionBudget(this, `${name}-pdb`, { name: "agent-runtime", namespace: base.ns, id: base.id, maxUnavailable: 1 });
        }
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, { namespace: base.ns, labels: base.labels, group: agentRuntimeRules({ namespace: args.namespace, service: "agent-runtime" }) });
        }
        if (args.dashboards) {
            const dashboard = agentRuntimeDashboard({ namespace: args.namespace, deployment: "agent-runtime", service: "agent-runtime" });
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: "agent-runtime", namespace: base.ns, labels: base.labels, dashboard });
        }
        this.admitCallersAndReachBusinessLogic(name, args, base);

        this.url = pulumi.interpolate`http://${service.metadata.name}.${base.ns}.svc.cluster.local:${AGENT_RUNTIME_PORT}`;
        const spsp = this.publishSpsp(name, args, base, service);
        this.spspUrl = spsp.url;
        this.paymentPointer = spsp.paymentPointer;
        this.namespace = deployment.metadata.namespace;
        this.registerOutputs({ url: this.url, spspUrl: this.spspUrl, paymentPointer: this.paymentPointer, namespace: this.namespace });
    }

    private config(name: string, args: AgentRuntimeArgs, base: TierBase) {
        return new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: "agent-runtime-config", namespace: base.ns, labels: base.labels },
                data: {
                    PORT: String(AGENT_RUNTIME_PORT),
                    BASE_ADDRESS: args.baseAddress,
                    BUSINESS_LOGIC_URL: args.businessLogic.url,
                    BUSINESS_LOGIC_TIMEOUT: String(args.businessLogicTimeoutMs),
                    SPSP_ENABLED: String(args.spspEnabled),
                    SESSION_TTL_MS: String(args.sessionTtlMs),
                    LOG_LEVEL: args.logLevel,
                    NODE_ID: args.nodeId,
                },
            },
            { parent: this },
        );
    }

    private deployment(name: string, args: AgentRuntimeArgs, base: TierBase, config: k8s.core.v1.ConfigMap) {
        return new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: "agent-runtime", namespace: base.ns, labels: base.labels },
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: selectorLabels(base.id) },
                    template: {
                        metadata: podMetadata(base.id, { "checksum/config": configChecksum(config.data) }),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            placement: { id: base.id, spread: "preferred" },
                            priorityClassName: args.priorityClassName,
                            containers: [
                                hardenedContainer({
                                    name: "agent-runtime",
                                    image: base.image.ref,
                                    ports: [{ name: "http", containerPort: AGENT_RUNTIME_PORT }],
                                    envFrom: [{ configMapRef: { name: config.metadata.name } }],
                                    resources: args.resources,
                                    ...httpProbes("http", { ready: "/health" }),
                                }),
                            ],
                        }),
                    },
                },
            },
            { parent: this },
        );
    }

    private admitCallersAndReachBusinessLogic(name: string, args: AgentRuntimeArgs, base: TierBase) {
        networkPolicy(this, `${name}-netpol`, {
            name: "agent-runtime",
            namespace: base.ns,
            labels: base.labels,
            podSelector: { matchLabels: selectorLabels(base.id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [
                        ...args.callerNamespaces.map((n) => inNamespace(n)),
                        ...(args.ingress ? [inNamespace(args.ingress.settings.controllerNamespace)] : []),
                    ],
                    ports: tcpPorts(AGENT_RUNTIME_PORT),
                },
            ],
            egress: [{ to: [inNamespace(args.businessLogic.namespace)], ports: tcpPorts(args.businessLogic.port) }],
        });
    }

    /** The public SPSP Ingress when there is one; the SPSP URL and payment pointer either way. */
    private publishSpsp(name: string, args: AgentRuntimeArgs, base: TierBase, service: k8s.core.v1.Service) {
        if (!args.ingress) {
            return {
                url: pulumi.interpolate`${this.url}${SPSP_PATH}`,
                paymentPointer: pulumi.interpolate`$${service.metadata.name}.${base.ns}.svc.cluster.local:${AGENT_RUNTIME_PORT}`,
            };
        }
        publicIngress(this, `${name}-ingress`, {
            name: "agent-runtime-spsp",
            namespace: base.ns,
            id: base.id,
            settings: args.ingress.settings,
            routes: [{ host: args.ingress.spspHost, path: SPSP_PATH, service: "agent-runtime", port: AGENT_RUNTIME_PORT }],
        });
        return {
            url: pulumi.output(`${publicScheme(args.ingress.settings, "http")}://${args.ingress.spspHost}${SPSP_PATH}`),
            paymentPointer: pulumi.output(`$${args.ingress.spspHost}`),
        };
    }
}
