// Where the operator-supplied credentials come from: Pulumi secret config (the default,
// in every environment) or the External Secrets Operator, which reads each from a key of a
// ClusterSecretStore into the same Secret the workloads read (README, "Secrets from a
// vault"). The values the program generates (CAP keys, the PostgreSQL password, dev's
// throwaway settlement key) are not read from anywhere: they stay Pulumi secrets.
import * as pulumi from "@pulumi/pulumi";
import { Json, dnsSubdomain } from "./reader";
import { Context, Field, KeyDecl, declare, field, group, oneOf, optionalStr, readKey, section, str } from "./schema";
import { Credential, RemoteRef, SecretsConfig } from "./types";

/**
 * The operator-supplied credentials: the stack's secret config keys (each declared with
 * `secret()` in its tier's module), by the names `secrets.remoteKeys` maps them under.
 */
export const CREDENTIAL_KEYS = ["registryPassword", "connectorEvmPrivateKey", "connectorM2mTokenAddress", "connectorTokenNetworkRegistry", "businessLogicDatabaseUrl"] as const;
export type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** A Go duration as ESO's refreshInterval takes it (`1h`, `30m`, `1h30m`; `0` reads once). */
const DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

const REMOTE_FIELDS = ["key", "property", "version"];

/** A remote key: `name`, or `{key, property?, version?}` (a property of a JSON secret, a version of it). */
function readRemoteRef(ctx: Context, path: string, value: Json): RemoteRef | undefined {
    const { r } = ctx;
    if (value === undefined || value === null || value === "") {
        return undefined;
    }
    if (typeof value === "string") {
        return { key: value };
    }
    if (typeof value !== "object" || Array.isArray(value)) {
        r.fail(path, `expected a remote key or {key, property}, got ${JSON.stringify(value)}`, `set ${path} to the key that holds the credential in the store, e.g. m2m/prod/${path.split(".").pop()}`);
        return undefined;
    }
    const o = r.object(path, value, REMOTE_FIELDS);
    const key = r.requiredString(`${path}.key`, o.key, `set ${path}.key to the key that holds the credential in the store`);
    const property = r.string(`${path}.property`, o.property);
    const version = r.string(`${path}.version`, o.version);
    return { key, ...(property !== undefined ? { property } : {}), ...(version !== undefined ? { version } : {}) };
}

const remoteKey = (): Field<RemoteRef | undefined> => field({ unset: "unmapped", read: readRemoteRef });

export const SECRETS = declare(
    "secrets",
    "Where the operator-supplied credentials come from: Pulumi secret config, or External Secrets Operator",
    group({
        source: oneOf({
            values: ["pulumi", "externalSecrets"] as const,
            default: "pulumi",
            note: "externalSecrets: an ExternalSecret per credential Secret; needs ESO and the store",
        }),
        store: optionalStr({
            unset: "required with externalSecrets",
            note: "the ClusterSecretStore's name",
            check: (ctx, path, name) => dnsSubdomain(ctx.r, path, name),
        }),
        refreshInterval: str({
            default: "1h",
            note: "how often ESO reads the store again; 0 reads once",
            check: (ctx, path, value) => {
                if (!DURATION.test(value)) {
                    ctx.r.fail(path, `is not a duration such as 1h, 30m or 1h30m: ${JSON.stringify(value)}`, `set ${path} to a Go duration (ns, us, ms, s, m, h), or 0 to read the store once`);
                }
            },
        }),
        remoteKeys: group(
            Object.fromEntries(CREDENTIAL_KEYS.map((k) => [k, remoteKey()])) as Record<CredentialKey, Field<RemoteRef | undefined>>,
            { inline: true, note: "a key of the store, or {key, property, version}; each credential the stack needs" },
        ),
    }),
);

export const SECRETS_KEYS = [SECRETS];

/** What the credentials' readers need: the source, and each credential's remote key. */
export interface CredentialSource {
    config: SecretsConfig;
    remoteKeys: Partial<Record<CredentialKey, RemoteRef>>;
}

/**
 * Reads `secrets`, checked as a whole: with the external source a store must be named, and
 * no credential may also sit in the stack config (it would be ignored; in prod none may be
 * there at all). Whether each credential the stack needs is mapped is checked where it is
 * read (readCredential).
 */
export function readSecrets(ctx: Context): CredentialSource {
    const { r } = ctx;
    const s = section(ctx, SECRETS);
    const source = s.read("source");
    const refreshInterval = s.read("refreshInterval");
    const keys = s.section("remoteKeys");
    const remoteKeys: Partial<Record<CredentialKey, RemoteRef>> = {};
    for (const key of CREDENTIAL_KEYS) {
        const ref = keys.read(key);
        if (ref) {
            remoteKeys[key] = ref;
        }
    }
    const store = s.read("store");
    if (source === "pulumi") {
        return { config: { source }, remoteKeys };
    }
    if (store === undefined) {
        r.fail(
            "secrets.store",
            "is required with secrets.source externalSecrets",
            "set secrets.store to the name of the ClusterSecretStore that holds the credentials (`kubectl get clustersecretstores`), or set secrets.source to pulumi",
        );
    }
    for (const key of CREDENTIAL_KEYS) {
        if (ctx.values[key] !== undefined) {
            const why = ctx.prod ? "no operator-supplied credential may appear in a prod stack's config" : "the value there would be ignored";
            r.fail(
                key,
                `is set in the stack config, but secrets.source is externalSecrets: the credential comes from the store (secrets.remoteKeys.${key}), and ${why}`,
                `remove it from the stack config (\`pulumi config rm ${key} --stack ${ctx.stack}\`) and keep the value in the store only`,
            );
        }
    }
    return { config: { source, store: store ?? "", refreshInterval }, remoteKeys };
}

/**
 * One operator-supplied credential. With the pulumi source: its secret config value, when
 * set (the caller decides whether it must be). With the external source: its remote key,
 * which must be mapped when the stack needs it (`need` says why it does).
 */
export function readCredential(ctx: Context, decl: KeyDecl<Field<pulumi.Output<string> | undefined>>, need: string | undefined): Credential | undefined {
    const source = ctx.credentials;
    if (source === undefined || source.config.source === "pulumi") {
        const value = readKey(ctx, decl);
        return value === undefined ? undefined : { source: "pulumi", value };
    }
    const key = decl.key as CredentialKey;
    const remote = source.remoteKeys[key];
    const { store, refreshInterval } = source.config;
    if (remote) {
        return { source: "externalSecrets", store: { store, refreshInterval }, remote };
    }
    if (need !== undefined) {
        ctx.r.fail(
            `secrets.remoteKeys.${key}`,
            `is unmapped, but the stack needs ${key} (${need})`,
            `set secrets.remoteKeys.${key} to the key that holds it in ClusterSecretStore ${store || "<secrets.store>"} (or {key, property} for a field of a JSON secret)`,
        );
    }
    return undefined;
}

/** Whether the credentials come from the external store. */
export function externalSource(ctx: Context): boolean {
    return ctx.credentials?.config.source === "externalSecrets";
}
