// The business logic's key, its database (an in-cluster PostgreSQL or an external one)
// and the external database's URL.
import * as pulumi from "@pulumi/pulumi";
import { fig, hpa, image, logLevel, quantity, readHpa, resources } from "./kinds";
import { cidrList } from "./reader";
import { Context, FieldsOf, Section, declare, field, group, int, oneOf, secret, section } from "./schema";
import { externalSource, readCredential } from "./secrets";
import { BusinessLogicConfig, DatabaseConfig } from "./types";

export const POSTGRES_IMAGE = "docker.io/library/postgres:16.6-alpine";

export const BUSINESS_LOGIC = declare(
    "businessLogic",
    "Your business logic and its database",
    group({
        replicas: int({ default: { dev: 2, prod: 3 }, min: 1, max: 100 }),
        image: image({ repo: "my-business-logic" }),
        logLevel: logLevel(),
        hpa: hpa({ minReplicas: 2, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 85 }),
        database: group({
            mode: oneOf({ values: ["postgres", "external"] as const, default: "postgres", note: "postgres: an in-cluster StatefulSet" }),
            image: image({ repo: "postgres", default: POSTGRES_IMAGE }),
            storage: quantity({ default: "10Gi" }),
            resources: resources({ dev: fig("100m", "256Mi", "500m", "512Mi"), prod: fig("250m", "512Mi", "1000m", "1Gi") }),
            egressCidrs: field({
                unset: "any public address",
                note: "external: the CIDRs of a private managed database",
                scalar: false,
                read: (ctx, path, value) => cidrList(ctx.r, path, value),
            }),
            port: int({ default: 5432, min: 1, max: 65535, note: "external" }),
        }),
        // Memory limit = request on the autoscaled pods: see README, "Autoscaling".
        resources: resources({ dev: fig("100m", "256Mi", "500m", "256Mi"), prod: fig("200m", "512Mi", "1000m", "512Mi") }),
    }),
);

export const BUSINESS_LOGIC_DATABASE_URL = declare(
    "businessLogicDatabaseUrl",
    "DATABASE_URL when businessLogic.database.mode is external",
    secret({ unset: "required with `external`" }),
);

export const BUSINESS_LOGIC_KEYS = [BUSINESS_LOGIC, BUSINESS_LOGIC_DATABASE_URL];

export function readBusinessLogic(ctx: Context, namespace: string): BusinessLogicConfig {
    const s = section(ctx, BUSINESS_LOGIC);
    return {
        namespace,
        replicas: s.read("replicas"),
        image: s.read("image"),
        logLevel: s.read("logLevel"),
        hpa: readHpa(s.section("hpa")),
        database: readDatabase(ctx, s.section("database")),
        resources: s.read("resources"),
    };
}

/** The database: an in-cluster PostgreSQL, or an external one reached at its URL. */
function readDatabase(ctx: Context, db: Section<FieldsOf<typeof BUSINESS_LOGIC.value.fields.database>>): DatabaseConfig {
    const mode = db.read("mode");
    const url = readCredential(ctx, BUSINESS_LOGIC_DATABASE_URL, mode === "external" ? "businessLogic.database.mode is external: the business logic reads DATABASE_URL from business-logic-database" : undefined);
    if (mode === "external") {
        if (!url && !externalSource(ctx)) {
            ctx.r.fail(BUSINESS_LOGIC_DATABASE_URL.key, "is required when businessLogic.database.mode is external", "run `pulumi config set --secret businessLogicDatabaseUrl postgres://...`");
        }
        return { mode: "external", url: url ?? { source: "pulumi", value: pulumi.secret("") }, egress: { cidrs: db.read("egressCidrs"), port: db.read("port") } };
    }
    return { mode: "postgres", image: db.read("image"), storage: db.read("storage"), resources: db.read("resources") };
}
