import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as yaml from "js-yaml";
import { ConnectorConfig, ConnectorSecrets, Credential, RegistryConfig } from "../config";
import { alertRules, connectorRules } from "./alerts";
import { connectorDashboard, dashboardConfigMap } from "./dashboards";
import { TierBase, tierBase } from "./tier";
import {
    CredentialSecret,
    IngressSettings,
    clusterService,
    configChecksum,
    credentialSecret,
    fromStore,
    reloadOnChange,
    secretChecksum,
    storeChecksum,
    valueOf,
    disruptionBudget,
    envFromSecret,
    hardenedContainer,
    hardenedPodSpec,
    httpProbes,
    inNamespace,
    networkPolicy,
    podMetadata,
    publicIngress,
    publicInternet,
    publicScheme,
    scrapeAnnotations,
    selectorLabels,
    tcpPorts,
} from "./kube";

export const BTP_PORT = 4000;
export const CONNECTOR_HTTP_PORT = 8080;
export const EXPLORER_PORT = 5173;
const CONFIG_PATH = "/app/config.yaml";
export const CONNECTOR_SECRET_KEYS = ["EVM_PRIVATE_KEY", "M2M_TOKEN_ADDRESS", "TOKEN_NETWORK_REGISTRY"];

export interface ConnectorArgs extends Omit<ConnectorConfig, "namespace"> {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    namespace: string;
    registry?: RegistryConfig;
    environment: "dev" | "prod";
    /** Settlement ledger: the cluster ID and every replica address, in replica order. */
    tigerbeetle: { clusterId: pulumi.Input<string>; addresses: pulumi.Input<string[]>; namespace: pulumi.Input<string> };
    /** Local delivery target for `routePrefix` packets (the agent runtime). */
    localDelivery: { url: pulumi.Input<string>; namespace: pulumi.Input<string> };
    routePrefix: string;
    monitoringNamespace: string;
    ingress?: { settings: IngressSettings; btpHost: string; explorerHost: string };
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
}

/** The connector's `config.yaml` (seed 000, "Option A"), as a plain object. */
export function connectorAppConfig(args: {
    nodeId: string;
    logLevel: string;
    environment: "dev" | "prod";
    routePrefix: string;
    localDeliveryUrl: string;
    localDeliveryTimeoutMs: number;
    settlement: ConnectorConfig["settlement"];
    explorer: ConnectorConfig["explorer"];
    clusterId: string;
    replicas: string[];
}) {
    return {
        nodeId: args.nodeId,
        btpServerPort: BTP_PORT,
        healthCheckPort: CONNECTOR_HTTP_PORT,
        logLevel: args.logLevel,
        environment: args.environment === "prod" ? "production" : "development",
        peers: [],
        routes: [{ prefix: args.routePrefix, nextHop: "local", priority: 100 }],
        localDelivery: { enabled: true, handlerUrl: args.localDeliveryUrl, timeout: args.localDeliveryTimeoutMs },
        settlement: {
            enableSettlement: args.settlement.enabled,
            connectorFeePercentage: args.settlement.feePercentage,
            // A 128-bit ID does not fit a JavaScript number: it is written as a string.
            tigerBeetleClusterId: args.clusterId,
            tigerBeetleReplicas: args.replicas,
        },
        explorer: {
            enabled: args.explorer.enabled,
            port: EXPLORER_PORT,
            retentionDays: args.explorer.retentionDays,
            maxEvents: args.explorer.maxEvents,
        },
    };
}

/** The settlement ledger as the connector lists it: the cluster ID and every replica address, in replica order. */
interface Ledger {
    clusterId: pulumi.Output<string>;
    replicas: pulumi.Output<string[]>;
}

/** What the connector's pods read: config.yaml, the env ConfigMap, the credentials, and the checksums that roll them. */
interface PodInputs {
    appConfig: k8s.core.v1.ConfigMap;
    env: k8s.core.v1.ConfigMap;
    secret: CredentialSecret;
    checksums: { config: pulumi.Output<string>; secrets: pulumi.Output<string> };
    /** The Deployment's annotations for Reloader, when ESO writes the credentials. */
    reload: Record<string, string>;
}

/**
 * The ILP connector: settlement on TigerBeetle, BTP on 4000, health and metrics on 8080,
 * the Explorer UI on 5173, local delivery of `g.connector.agent` to the agent runtime.
 */
export class Connector extends pulumi.ComponentResource {
    public readonly btpUrl: pulumi.Output<string>;
    public readonly explorerUrl: pulumi.Output<string>;
    public readonly healthUrl: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: ConnectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:Connector", name, {}, opts);
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "m2m-connector",
            component: "connector",
        });
        const ledger: Ledger = { clusterId: pulumi.output(args.tigerbeetle.clusterId), replicas: pulumi.output(args.tigerbeetle.addresses) };
        const pods = this.podInputs(name, args, base, ledger);
        const deployment = this.deployment(name, args, base, pods);
        const services = this.services(name, base);
        if (args.replicas > 1) {
            disruptionBudget(this, `${name}-pdb`, { name: "connector", namespace: base.ns, id: base.id, maxUnavailable: 1 });
        }
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, { namespace: base.ns, labels: base.labels, group: connectorRules({ namespace: args.namespace, service: "connector" }) });
        }
        if (args.dashboards) {
            const dashboard = pulumi.output(args.tigerbeetle.namespace).apply((ledgerNamespace) => connectorDashboard({ namespace: args.namespace, deployment: "connector", service: "connector", ledgerNamespace }));
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: "connector", namespace: base.ns, labels: base.labels, dashboard });
        }
        this.admitClientsAndReachPeers(name, args, base);
        const urls = this.publish(name, args, base, services);

        this.btpUrl = urls.btp;
        this.explorerUrl = urls.explorer;
        this.healthUrl = pulumi.interpolate`http://${services.connector.metadata.name}.${base.ns}.svc.cluster.local:${CONNECTOR_HTTP_PORT}/health`;
        this.namespace = deployment.metadata.namespace;
        this.registerOutputs({ btpUrl: this.btpUrl, explorerUrl: this.explorerUrl, healthUrl: this.healthUrl, namespace: this.namespace });
    }

    /** config.yaml and the env ConfigMap rendered from the ledger, the credentials Secret, and their checksums. */
    private podInputs(name: string, args: ConnectorArgs, base: TierBase, ledger: Ledger): PodInputs {
        const rendered = renderAppConfig(args, ledger);
        const appConfig = new k8s.core.v1.ConfigMap(
            `${name}-app-config`,
            { metadata: { name: "connector-app-config", namespace: base.ns, labels: base.labels }, data: { "config.yaml": rendered } },
            { parent: this },
        );
        const envData = connectorEnv(args, ledger);
        const env = new k8s.core.v1.ConfigMap(
            `${name}-env`,
            { metadata: { name: "connector-config", namespace: base.ns, labels: base.labels }, data: envData },
            { parent: this },
        );
        const secrets = args.secrets ?? this.devSecrets(name);
        const credentials = {
            EVM_PRIVATE_KEY: secrets.evmPrivateKey,
            M2M_TOKEN_ADDRESS: secrets.m2mTokenAddress,
            TOKEN_NETWORK_REGISTRY: secrets.tokenNetworkRegistry,
        };
        // connector-secrets either way: from the Pulumi secrets, or made by ESO from the store.
        const secret = credentialSecret(this, `${name}-secrets`, { name: "connector-secrets", namespace: base.ns, labels: base.labels, type: "Opaque", data: credentials });
        // Pods roll when the rendered configuration or a credential changes (subPath mounts and
        // env from a Secret do not reload); a value ESO syncs later does not roll them.
        const external = fromStore(Object.values(credentials));
        const checksums = {
            config: configChecksum(rendered, envData),
            secrets: external
                ? storeChecksum(credentials)
                : secretChecksum(this, `${name}-checksum-key`, {
                      evmPrivateKey: valueOf(secrets.evmPrivateKey),
                      m2mTokenAddress: valueOf(secrets.m2mTokenAddress),
                      tokenNetworkRegistry: valueOf(secrets.tokenNetworkRegistry),
                  }),
        };
        return { appConfig, env, secret, checksums, reload: external ? reloadOnChange(["connector-secrets"]) : {} };
    }

    /** Dev with the pulumi source only: a throwaway settlement key (secret) and zero contract addresses. */
    private devSecrets(name: string): ConnectorSecrets {
        const key = new random.RandomBytes(`${name}-dev-evm-key`, { length: 32 }, { parent: this });
        const zero: Credential = { source: "pulumi", value: pulumi.secret(`0x${"0".repeat(40)}`) };
        return {
            evmPrivateKey: { source: "pulumi", value: pulumi.secret(pulumi.interpolate`0x${key.hex}`) },
            m2mTokenAddress: zero,
            tokenNetworkRegistry: zero,
        };
    }

    private deployment(name: string, args: ConnectorArgs, base: TierBase, pods: PodInputs) {
        return new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: "connector", namespace: base.ns, labels: base.labels, ...(Object.keys(pods.reload).length ? { annotations: pods.reload } : {}) },
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: selectorLabels(base.id) },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: podMetadata(base.id, {
                            ...scrapeAnnotations(CONNECTOR_HTTP_PORT),
                            "checksum/config": pods.checksums.config,
                            "checksum/secrets": pods.checksums.secrets,
                        }),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            placement: { id: base.id, spread: "preferred" },
                            priorityClassName: args.priorityClassName,
                            volumes: [{ name: "app-config", configMap: { name: pods.appConfig.metadata.name } }],
                            containers: [this.container(args, base, pods)],
                        }),
                    },
                },
            },
            { parent: this },
        );
    }

    private container(args: ConnectorArgs, base: TierBase, pods: PodInputs) {
        return hardenedContainer({
            name: "connector",
            image: base.image.ref,
            ports: [
                { name: "btp", containerPort: BTP_PORT },
                { name: "http-metrics", containerPort: CONNECTOR_HTTP_PORT },
                { name: "explorer", containerPort: EXPLORER_PORT },
            ],
            envFrom: [{ configMapRef: { name: pods.env.metadata.name } }],
            env: envFromSecret(pods.secret.name, CONNECTOR_SECRET_KEYS),
            resources: args.resources,
            volumeMounts: [{ name: "app-config", mountPath: CONFIG_PATH, subPath: "config.yaml", readOnly: true }],
            ...httpProbes("http-metrics", { live: "/health/live", ready: "/health/ready", startup: "/health" }),
        });
    }

    /** `connector` (BTP, health and metrics) and `connector-explorer`. */
    private services(name: string, base: TierBase) {
        const connector = clusterService(this, `${name}-service`, {
            name: "connector",
            namespace: base.ns,
            id: base.id,
            ports: [
                { name: "btp", port: BTP_PORT },
                { name: "http-metrics", port: CONNECTOR_HTTP_PORT },
            ],
        });
        const explorer = clusterService(this, `${name}-explorer-service`, {
            name: "connector-explorer",
            namespace: base.ns,
            id: base.id,
            ports: [{ name: "explorer", port: EXPLORER_PORT }],
        });
        return { connector, explorer };
    }

    /** BTP and the Explorer from the ingress controller, metrics from monitoring; out to the ledger, local delivery and settlement RPC. */
    private admitClientsAndReachPeers(name: string, args: ConnectorArgs, base: TierBase) {
        const publicSources = args.ingress ? [inNamespace(args.ingress.settings.controllerNamespace)] : [];
        networkPolicy(this, `${name}-netpol`, {
            name: "connector",
            namespace: base.ns,
            labels: base.labels,
            podSelector: { matchLabels: selectorLabels(base.id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                ...(publicSources.length ? [{ from: publicSources, ports: tcpPorts(BTP_PORT, EXPLORER_PORT) }] : []),
                { from: [inNamespace(args.monitoringNamespace)], ports: tcpPorts(CONNECTOR_HTTP_PORT) },
            ],
            egress: [
                { to: [inNamespace(args.tigerbeetle.namespace)], ports: tcpPorts(3000) },
                { to: [inNamespace(args.localDelivery.namespace)], ports: tcpPorts(3100) },
                // Settlement RPC endpoints (EVM, XRP Ledger, Aptos) are public HTTPS services.
                { to: [publicInternet()], ports: tcpPorts(443) },
            ],
        });
    }

    /** The public Ingress for BTP and the Explorer when there is one; the URLs clients use either way. */
    private publish(name: string, args: ConnectorArgs, base: TierBase, services: ReturnType<Connector["services"]>) {
        if (!args.ingress) {
            return {
                btp: pulumi.interpolate`ws://${services.connector.metadata.name}.${base.ns}.svc.cluster.local:${BTP_PORT}`,
                explorer: pulumi.interpolate`http://${services.explorer.metadata.name}.${base.ns}.svc.cluster.local:${EXPLORER_PORT}`,
            };
        }
        publicIngress(this, `${name}-ingress`, {
            name: "connector",
            namespace: base.ns,
            id: base.id,
            settings: args.ingress.settings,
            annotations: {
                // BTP is a long-lived WebSocket.
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
            },
            routes: [
                { host: args.ingress.btpHost, path: "/", service: "connector", port: BTP_PORT },
                { host: args.ingress.explorerHost, path: "/", service: "connector-explorer", port: EXPLORER_PORT },
            ],
        });
        return {
            btp: pulumi.output(`${publicScheme(args.ingress.settings, "ws")}://${args.ingress.btpHost}`),
            explorer: pulumi.output(`${publicScheme(args.ingress.settings, "http")}://${args.ingress.explorerHost}`),
        };
    }
}

/** config.yaml, once the ledger's ID and replica addresses and the local delivery URL resolve. */
function renderAppConfig(args: ConnectorArgs, ledger: Ledger): pulumi.Output<string> {
    return pulumi.all([ledger.replicas, ledger.clusterId, args.localDelivery.url]).apply(([replicas, cid, url]) =>
        yaml.dump(
            connectorAppConfig({
                nodeId: args.nodeId,
                logLevel: args.logLevel,
                environment: args.environment,
                routePrefix: args.routePrefix,
                localDeliveryUrl: url,
                localDeliveryTimeoutMs: args.localDeliveryTimeoutMs,
                settlement: args.settlement,
                explorer: args.explorer,
                clusterId: cid,
                replicas,
            }),
            { lineWidth: -1, noRefs: true },
        ),
    );
}

/** The env ConfigMap's data: ports, settlement and local delivery as the connector's env names them. */
function connectorEnv(args: ConnectorArgs, ledger: Ledger): Record<string, pulumi.Input<string>> {
    return {
        NODE_ID: args.nodeId,
        LOG_LEVEL: args.logLevel,
        BTP_SERVER_PORT: String(BTP_PORT),
        HEALTH_CHECK_PORT: String(CONNECTOR_HTTP_PORT),
        EXPLORER_PORT: String(EXPLORER_PORT),
        CONFIG_FILE: CONFIG_PATH,
        SETTLEMENT_ENABLED: String(args.settlement.enabled),
        SETTLEMENT_PREFERENCE: args.settlement.preference,
        SETTLEMENT_THRESHOLD: String(args.settlement.threshold),
        SETTLEMENT_FEE_PERCENTAGE: String(args.settlement.feePercentage),
        TIGERBEETLE_CLUSTER_ID: ledger.clusterId,
        TIGERBEETLE_REPLICAS: ledger.replicas.apply((r) => r.join(",")),
        LOCAL_DELIVERY_ENABLED: "true",
        LOCAL_DELIVERY_URL: args.localDelivery.url,
        LOCAL_DELIVERY_TIMEOUT: String(args.localDeliveryTimeoutMs),
    };
}
