import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AgentStateConfig, BackupConfig, RegistryConfig } from "../config";
import { agentStateRules, alertRules } from "./alerts";
import { tierBackup } from "./backups";
import { agentStateDashboard, dashboardConfigMap } from "./dashboards";
import { SNAPSHOT_CRONJOB, restoreJob, snapshotIdentity, snapshotSchedule } from "./ops/agentStateSnapshots";
import { TierBase, tierBase } from "./tier";
import {
    IngressSettings,
    RETAIN_CLAIMS,
    clusterService,
    configChecksum,
    secretChecksum,
    envFromSecret,
    hardenedContainer,
    hardenedPodSpec,
    httpProbes,
    inNamespace,
    networkPolicy,
    podMetadata,
    podsLabelled,
    publicIngress,
    publicScheme,
    scrapeAnnotations,
    selectorLabels,
    tcpPorts,
    volumeClaim,
} from "./kube";

export const AGENTSTATE_API_PORT = 8080;
export const AGENTSTATE_ADMIN_PORT = 9090;
/** Secret keys holding the HMAC capability keys; their ids are plain config. */
export const CAP_KEY_SECRET_KEYS = ["CAP_KEY_ACTIVE", "CAP_KEY_NEXT"];

export interface AgentStateArgs extends Omit<AgentStateConfig, "namespace"> {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    namespace: string;
    registry?: RegistryConfig;
    storageClass?: string;
    environment: "dev" | "prod";
    monitoringNamespace: string;
    /** Namespaces whose pods use the API (agency tenants, the agent runtime). */
    clientNamespaces: pulumi.Input<string>[];
    ingress?: { settings: IngressSettings; host: string };
    protect: boolean;
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
    /** A Velero Schedule for the namespace's data (`backups`); none when undefined. */
    backups?: BackupConfig;
}

/** What the server's pod reads: its governing Service, config, CAP keys and (with TLS) its certificate's Secret. */
interface ServerInputs {
    governing: k8s.core.v1.Service;
    config: k8s.core.v1.ConfigMap;
    capSecret: k8s.core.v1.Secret;
    tlsSecretName?: string;
    /** The restore Job the server waits for (`restore.snapshotId`). */
    restore?: k8s.batch.v1.Job;
}

/**
 * AgentState: the API on 8080 and metrics/admin on 9090, DATA_DIR on a PVC, and the HMAC
 * capability keys (active + next) generated with @pulumi/random, one resource per key id,
 * so promoting `next` to `active` keeps its value and only the new `next` is minted.
 */
export class AgentState extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    public readonly capKeyIds: { active: string; next: string };
    /** Key values, as Pulumi secrets. */
    public readonly capKeys: pulumi.Output<{ active: string; next: string }>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: AgentStateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:AgentState", name, {}, opts);
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "agentstate",
            component: "state-store",
            holdsData: true,
        });
        const keys = this.capabilityKeys(name, args);
        this.capKeyIds = { active: args.capKeys.activeId, next: args.capKeys.nextId };
        this.capKeys = pulumi.secret(pulumi.all([keys.active.base64, keys.next.base64]).apply(([a, n]) => ({ active: a, next: n })));
        const capSecret = this.capKeySecret(name, base, keys);
        const config = this.config(name, args, base);
        const tlsSecretName = this.tlsSecret(name, args, base.ns, base.labels);
        // The StatefulSet's governing Service is headless (its pod's stable DNS name); clients
        // use the ClusterIP Service `agentstate` below.
        const governing = clusterService(this, `${name}-headless`, {
            name: "agentstate-headless",
            namespace: base.ns,
            id: base.id,
            ports: [{ name: "api", port: AGENTSTATE_API_PORT }],
            headless: true,
        });
        const restore = this.restoreFromSnapshot(name, args, base);
        const statefulSet = this.statefulSet(name, args, base, { governing, config, capSecret, tlsSecretName, restore });
        const service = clusterService(this, `${name}-service`, {
            name: "agentstate",
            namespace: base.ns,
            id: base.id,
            ports: [
                { name: "api", port: AGENTSTATE_API_PORT },
                { name: "metrics", port: AGENTSTATE_ADMIN_PORT },
            ],
        });
        this.admitClientsAndMonitoring(name, args, base);
        this.scheduleSnapshots(name, args, base, keys.active.base64);
        const backup = tierBackup(this, `${name}-backup`, { backups: args.backups, namespace: args.namespace, labels: base.labels });
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, { namespace: base.ns, labels: base.labels, group: agentStateRules({ namespace: args.namespace, statefulSet: "agentstate", backup, snapshots: args.snapshots && { cronJob: SNAPSHOT_CRONJOB, periodSeconds: args.snapshots.periodSeconds } }) });
        }
        if (args.dashboards) {
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: "agentstate", namespace: base.ns, labels: base.labels, dashboard: agentStateDashboard({ namespace: args.namespace, statefulSet: "agentstate" }) });
        }

        this.url = this.publish(name, args, base, { service, tlsSecretName });
        this.namespace = statefulSet.metadata.namespace;
        this.registerOutputs({ url: this.url, capKeyIds: this.capKeyIds, capKeys: this.capKeys, namespace: this.namespace });
    }

    /** One RandomBytes per key id: 32 bytes, base64, the figure the seed's `openssl rand -base64 32` gives. */
    private capabilityKeys(name: string, args: AgentStateArgs) {
        const key = (keyId: string) =>
            new random.RandomBytes(`${name}-cap-key-${keyId}`, { length: 32 }, { parent: this, additionalSecretOutputs: ["base64", "hex"] });
        return { active: key(args.capKeys.activeId), next: key(args.capKeys.nextId) };
    }

    private capKeySecret(name: string, base: TierBase, keys: ReturnType<AgentState["capabilityKeys"]>) {
        return new k8s.core.v1.Secret(
            `${name}-cap-keys`,
            {
                metadata: { name: "agentstate-cap-keys", namespace: base.ns, labels: base.labels },
                type: "Opaque",
                stringData: { CAP_KEY_ACTIVE: keys.active.base64, CAP_KEY_NEXT: keys.next.base64 },
            },
            { parent: this },
        );
    }

    private config(name: string, args: AgentStateArgs, base: TierBase) {
        return new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: "agentstate-config", namespace: base.ns, labels: base.labels },
                data: {
                    DATA_DIR: "/data",
                    REGION: args.region,
                    DEV_MODE: String(args.environment !== "prod"),
                    CAP_KEY_ACTIVE_ID: args.capKeys.activeId,
                    CAP_KEY_NEXT_ID: args.capKeys.nextId,
                    WATCH_BUFFER_SIZE: String(args.watchBufferSize),
                    WATCH_BUFFER_BYTES: String(args.watchBufferBytes),
                    ...(args.tls.mode === "none" ? {} : { TLS_CERT_FILE: "/tls/tls.crt", TLS_KEY_FILE: "/tls/tls.key" }),
                },
            },
            { parent: this },
        );
    }

    private statefulSet(name: string, args: AgentStateArgs, base: TierBase, deps: ServerInputs) {
        return new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: { name: "agentstate", namespace: base.ns, labels: base.labels },
                spec: {
                    replicas: 1,
                    serviceName: deps.governing.metadata.name,
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(base.id) },
                    template: {
                        metadata: podMetadata(base.id, {
                            ...scrapeAnnotations(AGENTSTATE_ADMIN_PORT),
                            // Rotating a key restarts the server so it loads the new pair.
                            "checksum/config": configChecksum(deps.config.data, this.capKeyIds),
                            "checksum/secrets": secretChecksum(this, `${name}-checksum-key`, this.capKeys),
                        }),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            priorityClassName: args.priorityClassName,
                            volumes: deps.tlsSecretName ? [{ name: "tls", secret: { secretName: deps.tlsSecretName } }] : [],
                            containers: [this.server(args, base, deps)],
                        }),
                    },
                    volumeClaimTemplates: [volumeClaim("data", args.storage, args.storageClass)],
                },
            },
            { parent: this, protect: args.protect, dependsOn: deps.restore ? [deps.restore] : [] },
        );
    }

    /** With `restore.snapshotId`: the CLI restores the server's claim before the StatefulSet is touched. */
    private restoreFromSnapshot(name: string, args: AgentStateArgs, base: TierBase) {
        if (!args.restore) {
            return undefined;
        }
        return restoreJob(this, `${name}-restore`, {
            instance: name,
            namespace: base.ns,
            snapshotId: args.restore.snapshotId,
            image: args.restore.image,
            claimName: "data-agentstate-0",
            server: base.id,
            serviceAccountName: base.foundation.serviceAccount.metadata.name,
            priorityClassName: args.priorityClassName,
            imagePullSecrets: base.foundation.imagePullSecrets,
        });
    }

    /** With `snapshots`: the CronJob calling the admin API, signed with the active key, over TLS when the server serves it. */
    private scheduleSnapshots(name: string, args: AgentStateArgs, base: TierBase, activeKey: pulumi.Output<string>) {
        if (!args.snapshots) {
            return;
        }
        snapshotSchedule(this, `${name}-snapshot`, {
            instance: name,
            namespaceName: args.namespace,
            namespace: base.ns,
            snapshots: args.snapshots,
            capKey: { id: args.capKeys.activeId, value: activeKey },
            ca: serverCa(args.tls),
            server: base.id,
            priorityClassName: args.priorityClassName,
            imagePullSecrets: base.foundation.imagePullSecrets,
        });
    }

    private server(args: AgentStateArgs, base: TierBase, deps: ServerInputs) {
        return hardenedContainer({
            name: "agentstate",
            image: base.image.ref,
            ports: [
                { name: "api", containerPort: AGENTSTATE_API_PORT },
                { name: "metrics", containerPort: AGENTSTATE_ADMIN_PORT },
            ],
            envFrom: [{ configMapRef: { name: deps.config.metadata.name } }],
            env: envFromSecret(deps.capSecret.metadata.name, CAP_KEY_SECRET_KEYS),
            resources: args.resources,
            volumeMounts: [
                { name: "data", mountPath: "/data" },
                ...(deps.tlsSecretName ? [{ name: "tls", mountPath: "/tls", readOnly: true }] : []),
            ],
            ...httpProbes("api", { ready: "/health" }, deps.tlsSecretName ? "HTTPS" : "HTTP"),
        });
    }

    private admitClientsAndMonitoring(name: string, args: AgentStateArgs, base: TierBase) {
        networkPolicy(this, `${name}-netpol`, {
            name: "agentstate",
            namespace: base.ns,
            labels: base.labels,
            podSelector: { matchLabels: selectorLabels(base.id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [
                        ...args.clientNamespaces.map((n) => inNamespace(n)),
                        ...(args.ingress ? [inNamespace(args.ingress.settings.controllerNamespace)] : []),
                    ],
                    ports: tcpPorts(AGENTSTATE_API_PORT),
                },
                // The admin API shares 9090 with metrics: only the monitoring namespace reaches it.
                { from: [inNamespace(args.monitoringNamespace)], ports: tcpPorts(AGENTSTATE_ADMIN_PORT) },
                // ... and the snapshot CronJob's pods, by their labels, on the admin port alone.
                ...(args.snapshots ? [{ from: [podsLabelled(selectorLabels(snapshotIdentity(name)))], ports: tcpPorts(args.snapshots.port) }] : []),
            ],
            egress: [],
        });
    }

    /** The public Ingress when there is one; the URL clients use either way. */
    private publish(name: string, args: AgentStateArgs, base: TierBase, deps: { service: k8s.core.v1.Service; tlsSecretName?: string }): pulumi.Output<string> {
        if (!args.ingress) {
            const scheme = deps.tlsSecretName ? "https" : "http";
            return pulumi.interpolate`${scheme}://${deps.service.metadata.name}.${base.ns}.svc.cluster.local:${AGENTSTATE_API_PORT}`;
        }
        publicIngress(this, `${name}-ingress`, {
            name: "agentstate",
            namespace: base.ns,
            id: base.id,
            settings: args.ingress.settings,
            annotations: deps.tlsSecretName ? { "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" } : {},
            routes: [{ host: args.ingress.host, path: "/", service: "agentstate", port: AGENTSTATE_API_PORT }],
        });
        return pulumi.output(`${publicScheme(args.ingress.settings, "http")}://${args.ingress.host}`);
    }

    /** The server's TLS secret: the given one, or one cert-manager issues. */
    private tlsSecret(name: string, args: AgentStateArgs, ns: pulumi.Output<string>, labels: Record<string, string>): string | undefined {
        if (args.tls.mode === "secret") {
            return args.tls.secretName;
        }
        if (args.tls.mode === "certManager") {
            // The service certificate names cluster-internal hosts only; the Ingress has its own
            // public certificate (publicIngress), so no public CA is ever asked for these names.
            const issuerRef = args.tls.issuer ? { kind: "ClusterIssuer", name: args.tls.issuer } : this.internalCa(name, ns, labels);
            this.certificate(`${name}-certificate`, ns, labels, {
                secretName: "agentstate-tls",
                issuerRef,
                dnsNames: [pulumi.interpolate`agentstate.${ns}.svc.cluster.local`, pulumi.interpolate`agentstate.${ns}.svc`],
            });
            return "agentstate-tls";
        }
        return undefined;
    }

    /**
     * A CA of AgentState's own, for its service certificate: a self-signed Issuer signs the CA
     * certificate (its Secret `agentstate-ca` holds `ca.crt` for clients to trust), and a CA
     * Issuer signs the service certificate with it.
     */
    private internalCa(name: string, ns: pulumi.Output<string>, labels: Record<string, string>) {
        const selfSigned = this.certManagerObject(`${name}-selfsigned-issuer`, "Issuer", ns, labels, "agentstate-selfsigned", { selfSigned: {} });
        const ca = this.certificate(`${name}-ca`, ns, labels, {
            isCA: true,
            commonName: "agentstate-ca",
            secretName: "agentstate-ca",
            duration: "87600h",
            privateKey: { algorithm: "ECDSA", size: 256 },
            issuerRef: { kind: "Issuer", name: selfSigned.metadata.name },
        });
        const issuer = this.certManagerObject(`${name}-ca-issuer`, "Issuer", ns, labels, "agentstate-ca", { ca: { secretName: "agentstate-ca" } }, [ca]);
        return { kind: "Issuer", name: issuer.metadata.name };
    }

    private certificate(resourceName: string, ns: pulumi.Output<string>, labels: Record<string, string>, spec: Record<string, unknown>) {
        return this.certManagerObject(resourceName, "Certificate", ns, labels, spec.secretName as string, spec);
    }

    private certManagerObject(resourceName: string, kind: string, ns: pulumi.Output<string>, labels: Record<string, string>, objectName: string, spec: Record<string, unknown>, dependsOn: pulumi.Resource[] = []) {
        return new k8s.apiextensions.CustomResource(
            resourceName,
            { apiVersion: "cert-manager.io/v1", kind, metadata: { name: objectName, namespace: ns, labels }, spec },
            { parent: this, dependsOn },
        );
    }
}

/** The Secret and key holding the CA that signed the server's certificate, for clients to trust; none without TLS. */
function serverCa(tls: AgentStateArgs["tls"]): { secretName: string; key: string } | undefined {
    switch (tls.mode) {
        case "none":
            return undefined;
        case "secret":
            return { secretName: tls.secretName, key: "ca.crt" };
        case "certManager":
            // cert-manager writes the issuing CA into ca.crt of each certificate's Secret; the
            // program's own CA keeps it in agentstate-ca as well.
            return { secretName: tls.issuer ? "agentstate-tls" : "agentstate-ca", key: "ca.crt" };
    }
}
