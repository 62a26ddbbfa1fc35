import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupConfig, BusinessLogicConfig, RegistryConfig } from "../config";
import { ContainerImage } from "./image";
import { alertRules, businessLogicRules } from "./alerts";
import { tierBackup } from "./backups";
import { businessLogicDashboard, dashboardConfigMap } from "./dashboards";
import { TierBase, tierBase } from "./tier";
import {
    Identity,
    RETAIN_CLAIMS,
    autoscaler,
    configChecksum,
    credentialSecret,
    reloadOnChange,
    secretChecksum,
    storeChecksum,
    valueOf,
    clusterService,
    disruptionBudget,
    envFromSecret,
    hardenedContainer,
    hardenedPodSpec,
    httpProbes,
    inNamespace,
    networkPolicy,
    podMetadata,
    podsLabelled,
    publicInternet,
    recommendedLabels,
    selectorLabels,
    tcpPorts,
    tcpProbe,
    volumeClaim,
} from "./kube";

export const BUSINESS_LOGIC_PORT = 8080;
export const POSTGRES_PORT = 5432;
/** The postgres user of the alpine image. */
const POSTGRES_UID = 70;

const CREDENTIALS_DIR = "/run/secrets/postgres";

export interface BusinessLogicArgs extends Omit<BusinessLogicConfig, "namespace"> {
    /** The PriorityClass of the tier's pods (platform.ts creates it). */
    priorityClassName?: pulumi.Input<string>;
    namespace: string;
    registry?: RegistryConfig;
    storageClass?: string;
    /** Namespaces whose pods call the business logic (the agent runtime's). */
    callerNamespaces: pulumi.Input<string>[];
    protect: boolean;
    /** Create the tier's PrometheusRule (`monitoring.alertRules`). */
    alertRules: boolean;
    /** Create the tier's Grafana dashboard (`monitoring.dashboards`). */
    dashboards: boolean;
    /** A Velero Schedule for the namespace's data (`backups`); none when undefined. */
    backups?: BackupConfig;
}

/** Your payment handler on 8080 with its HPA and its PostgreSQL (in-cluster or external). */
export class BusinessLogic extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;
    public readonly port = BUSINESS_LOGIC_PORT;

    constructor(name: string, args: BusinessLogicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:BusinessLogic", name, {}, opts);
        const base = tierBase(this, name, {
            namespace: args.namespace,
            image: args.image,
            registry: args.registry,
            appName: "business-logic",
            component: "business-logic",
            holdsData: args.database.mode !== "external",
        });
        const database = this.database(name, args, base);
        const config = this.config(name, args, base);
        const deployment = this.deployment(name, args, base, { config, database });
        const service = clusterService(this, `${name}-service`, {
            name: "business-logic",
            namespace: base.ns,
            id: base.id,
            ports: [{ name: "http", port: BUSINESS_LOGIC_PORT }],
        });
        autoscaler(this, `${name}-hpa`, {
            name: "business-logic-hpa",
            namespace: base.ns,
            id: base.id,
            target: { apiVersion: "apps/v1", kind: "Deployment", name: "business-logic" },
            ...args.hpa,
        });
        disruptionBudget(this, `${name}-pdb`, { name: "business-logic", namespace: base.ns, id: base.id, maxUnavailable: 1 });
        // Only the in-cluster PostgreSQL holds data here; a managed database has its own backups.
        const backup = args.database.mode === "external" ? undefined : tierBackup(this, `${name}-backup`, { backups: args.backups, namespace: args.namespace, labels: base.labels });
        if (args.alertRules) {
            alertRules(this, `${name}-alerts`, {
                namespace: base.ns,
                labels: base.labels,
                group: businessLogicRules({ namespace: args.namespace, hpa: "business-logic-hpa", inClusterDatabase: args.database.mode !== "external", backup }),
            });
        }
        if (args.dashboards) {
            const database = args.database.mode !== "external" ? { statefulSet: "postgres" } : undefined;
            const dashboard = businessLogicDashboard({ namespace: args.namespace, deployment: "business-logic", service: "business-logic", hpa: "business-logic-hpa", database });
            dashboardConfigMap(this, `${name}-grafana-dashboard`, { uid: "business-logic", namespace: base.ns, labels: base.labels, dashboard });
        }
        this.admitCallersAndReachDatabase(name, args, base, database);

        this.url = pulumi.interpolate`http://${service.metadata.name}.${base.ns}.svc.cluster.local:${BUSINESS_LOGIC_PORT}`;
        this.namespace = deployment.metadata.namespace;
        this.registerOutputs({ url: this.url, namespace: this.namespace });
    }

    private config(name: string, args: BusinessLogicArgs, base: TierBase) {
        return new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: "business-logic-config", namespace: base.ns, labels: base.labels },
                data: { PORT: String(BUSINESS_LOGIC_PORT), LOG_LEVEL: args.logLevel },
            },
            { parent: this },
        );
    }

    private deployment(name: string, args: BusinessLogicArgs, base: TierBase, deps: { config: k8s.core.v1.ConfigMap; database: Database }) {
        return new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: "business-logic", namespace: base.ns, labels: base.labels, ...(Object.keys(deps.database.reload).length ? { annotations: deps.database.reload } : {}) },
                spec: {
                    // The HPA owns the replica count once it exists; this is the starting size.
                    replicas: args.replicas,
                    selector: { matchLabels: selectorLabels(base.id) },
                    template: {
                        // A change to the config or to DATABASE_URL rolls the pods.
                        metadata: podMetadata(base.id, {
                            "checksum/config": configChecksum(deps.config.data),
                            "checksum/secrets": deps.database.checksum ?? secretChecksum(this, `${name}-checksum-key`, deps.database.credential),
                        }),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            placement: { id: base.id, spread: "preferred" },
                            priorityClassName: args.priorityClassName,
                            containers: [
                                hardenedContainer({
                                    name: "business-logic",
                                    image: base.image.ref,
                                    ports: [{ name: "http", containerPort: BUSINESS_LOGIC_PORT }],
                                    envFrom: [{ configMapRef: { name: deps.config.metadata.name } }],
                                    env: envFromSecret(deps.database.secretName, ["DATABASE_URL"]),
                                    resources: args.resources,
                                    ...httpProbes("http", { ready: "/health" }),
                                }),
                            ],
                        }),
                    },
                },
            },
            { parent: this, ignoreChanges: ["spec.replicas"] },
        );
    }

    private admitCallersAndReachDatabase(name: string, args: BusinessLogicArgs, base: TierBase, database: Database) {
        networkPolicy(this, `${name}-netpol`, {
            name: "business-logic",
            namespace: base.ns,
            labels: base.labels,
            podSelector: { matchLabels: selectorLabels(base.id) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: args.callerNamespaces.map((n) => inNamespace(n)), ports: tcpPorts(BUSINESS_LOGIC_PORT) }],
            egress: [database.egress],
        });
    }

    /** The DATABASE_URL Secret, what its value is made from, and the egress rule that reaches the database. */
    private database(name: string, args: BusinessLogicArgs, base: TierBase): Database {
        const db = args.database;
        const pgId: Identity = { name: "postgres", instance: `${name}-postgres`, component: "database" };
        if (db.mode === "external") {
            // business-logic-database either way: from the Pulumi secret, or made by ESO from the store.
            const secret = credentialSecret(this, `${name}-database-url`, { name: "business-logic-database", namespace: base.ns, labels: recommendedLabels(pgId), data: { DATABASE_URL: db.url } });
            const to = db.egress.cidrs ? db.egress.cidrs.map((cidr) => ({ ipBlock: { cidr } })) : [publicInternet()];
            const fromVault = db.url.source === "externalSecrets";
            return {
                secretName: secret.name,
                credential: valueOf(db.url),
                checksum: fromVault ? storeChecksum({ DATABASE_URL: db.url }) : undefined,
                reload: fromVault ? reloadOnChange(["business-logic-database"]) : {},
                egress: { to, ports: tcpPorts(db.egress.port) },
            };
        }
        return this.postgres(name, args, base, db, pgId);
    }

    /** The in-cluster PostgreSQL: its credentials, Services, StatefulSet and a policy that admits only the business logic. */
    private postgres(name: string, args: BusinessLogicArgs, base: TierBase, db: PostgresConfig, pgId: Identity): Database {
        const pgLabels = recommendedLabels(pgId);
        const image = new ContainerImage(`${name}-postgres-image`, { spec: db.image, registry: args.registry }, { parent: this });
        const password = new random.RandomPassword(`${name}-postgres-password`, { length: 32, special: false }, { parent: this });
        const host = pulumi.interpolate`postgres.${base.ns}.svc.cluster.local`;
        const secret = new k8s.core.v1.Secret(
            `${name}-postgres-credentials`,
            {
                metadata: { name: "postgres-credentials", namespace: base.ns, labels: pgLabels },
                stringData: {
                    POSTGRES_USER: "app",
                    POSTGRES_DB: "app",
                    POSTGRES_PASSWORD: password.result,
                    DATABASE_URL: pulumi.secret(pulumi.interpolate`postgres://app:${password.result}@${host}:${POSTGRES_PORT}/app`),
                },
            },
            { parent: this },
        );
        clusterService(this, `${name}-postgres-service`, {
            name: "postgres",
            namespace: base.ns,
            id: pgId,
            ports: [{ name: "postgres", port: POSTGRES_PORT }],
        });
        // The StatefulSet's governing Service is headless: it gives the pod its stable DNS name.
        const governing = clusterService(this, `${name}-postgres-headless`, {
            name: "postgres-headless",
            namespace: base.ns,
            id: pgId,
            ports: [{ name: "postgres", port: POSTGRES_PORT }],
            headless: true,
        });
        this.postgresStatefulSet(name, args, base, { db, pgId, image, secret, governing });
        networkPolicy(this, `${name}-postgres-netpol`, {
            name: "postgres",
            namespace: base.ns,
            labels: pgLabels,
            podSelector: { matchLabels: selectorLabels(pgId) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [podsLabelled(selectorLabels({ name: "business-logic", instance: name, component: "business-logic" }))],
                    ports: tcpPorts(POSTGRES_PORT),
                },
            ],
            egress: [],
        });
        return { secretName: secret.metadata.name, credential: password.result, reload: {}, egress: { to: [podsLabelled(selectorLabels(pgId))], ports: tcpPorts(POSTGRES_PORT) } };
    }

    private postgresStatefulSet(name: string, args: BusinessLogicArgs, base: TierBase, pg: PostgresInputs) {
        return new k8s.apps.v1.StatefulSet(
            `${name}-postgres`,
            {
                metadata: { name: "postgres", namespace: base.ns, labels: recommendedLabels(pg.pgId) },
                spec: {
                    replicas: 1,
                    serviceName: pg.governing.metadata.name,
                    persistentVolumeClaimRetentionPolicy: RETAIN_CLAIMS,
                    selector: { matchLabels: selectorLabels(pg.pgId) },
                    template: {
                        metadata: podMetadata(pg.pgId),
                        spec: hardenedPodSpec({
                            serviceAccountName: base.foundation.serviceAccount.metadata.name,
                            imagePullSecrets: base.foundation.imagePullSecrets,
                            priorityClassName: args.priorityClassName,
                            security: { uid: POSTGRES_UID },
                            terminationGracePeriodSeconds: 60,
                            volumes: [
                                { name: "run", emptyDir: { sizeLimit: "16Mi" } },
                                // The password is read from a file, never from the environment.
                                { name: "credentials", secret: { secretName: pg.secret.metadata.name, items: [{ key: "POSTGRES_PASSWORD", path: "password" }], defaultMode: 0o400 } },
                            ],
                            containers: [postgresContainer(pg)],
                        }),
                    },
                    volumeClaimTemplates: [volumeClaim("data", pg.db.storage, args.storageClass)],
                },
            },
            { parent: this, protect: args.protect },
        );
    }
}

/** How the business logic reaches its database: the DATABASE_URL Secret, what its value is made from, the egress rule. */
interface Database {
    secretName: pulumi.Output<string>;
    credential: pulumi.Input<string>;
    /** With the URL from the external store: the checksum of its mapping (the program has no value to hash). */
    checksum?: pulumi.Output<string>;
    /** The Deployment's annotations for Reloader, when ESO writes the URL. */
    reload: Record<string, string>;
    egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule;
}

type PostgresConfig = Extract<BusinessLogicArgs["database"], { mode: "postgres" }>;

interface PostgresInputs {
    db: PostgresConfig;
    pgId: Identity;
    image: ContainerImage;
    secret: k8s.core.v1.Secret;
    governing: k8s.core.v1.Service;
}

function postgresContainer(pg: PostgresInputs) {
    return hardenedContainer({
        name: "postgres",
        image: pg.image.ref,
        ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
        env: [
            ...envFromSecret(pg.secret.metadata.name, ["POSTGRES_USER", "POSTGRES_DB"]),
            { name: "POSTGRES_PASSWORD_FILE", value: `${CREDENTIALS_DIR}/password` },
            { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
        ],
        resources: pg.db.resources,
        volumeMounts: [
            { name: "data", mountPath: "/var/lib/postgresql/data" },
            { name: "run", mountPath: "/var/run/postgresql" },
            { name: "credentials", mountPath: CREDENTIALS_DIR, readOnly: true },
        ],
        readinessProbe: {
            exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", "app", "-d", "app"] },
            initialDelaySeconds: 5,
            periodSeconds: 10,
            timeoutSeconds: 5,
        },
        livenessProbe: tcpProbe(POSTGRES_PORT, { initialDelaySeconds: 30, periodSeconds: 15 }),
    });
}
