// Externally managed secrets (issue 13, item 6): the operator-supplied credentials from Pulumi
// secret config (the default) or from a ClusterSecretStore through ExternalSecrets that make
// the same Secrets, so no workload changes between the two; the config checks that reject a
// half-configured external source; the CAP keys and passwords the program generates stay
// Pulumi secrets either way.
import * as assert from "assert";
import { CREDENTIAL_KEYS, SECRET_KEYS } from "../config";
import { dockerConfigTemplate } from "../components/kube";
import { CapturedResource, CapturedStack, PROD_SECRETS, captureStack, find, label, ofKind, podSpec, rejectsConfig, stackConfig, workloads } from "./harness";

const STORE = "vault-prod";
const REMOTE_KEYS = {
    registryPassword: "m2m/prod/registry-password",
    connectorEvmPrivateKey: { key: "m2m/prod/connector", property: "evmPrivateKey" },
    connectorM2mTokenAddress: { key: "m2m/prod/connector", property: "m2mTokenAddress" },
    connectorTokenNetworkRegistry: { key: "m2m/prod/connector", property: "tokenNetworkRegistry", version: "3" },
    businessLogicDatabaseUrl: "m2m/prod/database-url",
};
/** `secrets` for a stack whose credentials are in the vault `STORE`. */
const vault = (extra: Record<string, unknown> = {}) => ({ secrets: { source: "externalSecrets", store: STORE, remoteKeys: REMOTE_KEYS, ...extra } });
/** The prod stack with its database outside the cluster, so that every credential is in play. */
const EXTERNAL_DB = { businessLogic: { database: { mode: "external" } } };
const DATABASE_URL = { businessLogicDatabaseUrl: "postgres://app:db-password-for-tests@db.internal:5432/app" };

/** The Secrets the workloads read for operator-supplied credentials, by namespace/name. */
const CREDENTIAL_SECRETS = ["connector-secrets", "business-logic-database", "registry-pull"];

/** Each credential Secret of a stack, whatever makes it: `ns/name` → type and keys. */
function credentialSecrets(s: CapturedStack): Record<string, { type?: string; keys: string[] }> {
    const out: Record<string, { type?: string; keys: string[] }> = {};
    for (const r of ofKind(s, "Secret").filter((x) => CREDENTIAL_SECRETS.includes(x.props.metadata.name))) {
        out[`${r.props.metadata.namespace}/${r.props.metadata.name}`] = { type: r.props.type ?? "Opaque", keys: Object.keys(r.props.stringData).sort() };
    }
    for (const r of ofKind(s, "ExternalSecret")) {
        const target = r.props.spec.target;
        const keys = target.template?.data ? Object.keys(target.template.data) : r.props.spec.data.map((d: any) => d.secretKey);
        out[`${r.props.metadata.namespace}/${target.name}`] = { type: target.template?.type ?? "Opaque", keys: keys.sort() };
    }
    return out;
}

/** The pod templates, without the secrets checksum (which hashes values in one source, the mapping in the other). */
function podTemplates(s: CapturedStack): Record<string, unknown> {
    return Object.fromEntries(
        workloads(s).map((w) => {
            const t = structuredClone(w.props.spec.template);
            delete t.metadata.annotations?.["checksum/secrets"];
            return [label(w), t];
        }),
    );
}

/** Asserts that the stack config is rejected before any resource, with a problem naming `key`. */
const rejects = (stack: string, overrides: Record<string, unknown>, key: string, message: RegExp, secrets: Record<string, string> = {}) => rejectsConfig(stack, overrides, key, message, { secrets });

/** A Go template evaluated for the one template the program writes (toJson, printf %s:%s, b64enc). */
function renderDockerConfig(template: string, password: string): string {
    return template
        .replace("{{ .password | toJson }}", JSON.stringify(password))
        .replace(/\{\{ printf "%s:%s" ("(?:[^"\\]|\\.)*") \.password \| b64enc \}\}/, (_, user) => Buffer.from(`${JSON.parse(user)}:${password}`).toString("base64"));
}

describe("secrets from Pulumi config or an external store", function () {
    this.timeout(60000);

    describe("config", () => {
        it("maps exactly the stack's secret keys, the operator-supplied credentials", () => {
            assert.deepStrictEqual([...CREDENTIAL_KEYS].sort(), [...SECRET_KEYS].sort());
        });

        it("defaults to the pulumi source in dev and prod, so the committed stacks are unchanged", () => {
            assert.deepStrictEqual(stackConfig("dev").secrets, { source: "pulumi" });
            assert.deepStrictEqual(stackConfig("prod").secrets, { source: "pulumi" });
        });

        it("reads the external source with its store, refresh interval and remote keys", () => {
            const cfg = stackConfig("prod", { ...vault({ refreshInterval: "15m" }), ...EXTERNAL_DB }, { secrets: {} });
            assert.deepStrictEqual(cfg.secrets, { source: "externalSecrets", store: STORE, refreshInterval: "15m" });
            const store = { store: STORE, refreshInterval: "15m" };
            assert.deepStrictEqual(cfg.connector.secrets?.evmPrivateKey, { source: "externalSecrets", store, remote: { key: "m2m/prod/connector", property: "evmPrivateKey" } });
            assert.deepStrictEqual(cfg.connector.secrets?.tokenNetworkRegistry, { source: "externalSecrets", store, remote: { key: "m2m/prod/connector", property: "tokenNetworkRegistry", version: "3" } });
            assert.deepStrictEqual(cfg.registry?.password, { source: "externalSecrets", store, remote: { key: "m2m/prod/registry-password" } });
            assert.ok(cfg.businessLogic.database.mode === "external");
            assert.deepStrictEqual(cfg.businessLogic.database.url, { source: "externalSecrets", store, remote: { key: "m2m/prod/database-url" } });
            assert.deepStrictEqual(stackConfig("prod", vault(), { secrets: {} }).secrets, { source: "externalSecrets", store: STORE, refreshInterval: "1h" });
        });

        describe("rejects, naming the key and the fix, before any resource", () => {
            it("the external source without a store", () => {
                rejects("dev", { secrets: { source: "externalSecrets", remoteKeys: REMOTE_KEYS } }, "secrets.store", /is required with secrets.source externalSecrets.*Fix: set secrets.store to the name of the ClusterSecretStore/);
                rejects("dev", vault({ store: "Vault Prod" }), "secrets.store", /not a valid Kubernetes object name/);
            });

            it("each credential the stack needs left unmapped", () => {
                const without = (key: string) => vault({ remoteKeys: { ...REMOTE_KEYS, [key]: undefined } });
                for (const key of ["connectorEvmPrivateKey", "connectorM2mTokenAddress", "connectorTokenNetworkRegistry"]) {
                    rejects("prod", without(key), `secrets.remoteKeys.${key}`, /is unmapped, but the stack needs .*connector-secrets.*Fix: set secrets.remoteKeys\.\w+ to the key that holds it in ClusterSecretStore vault-prod/);
                    rejects("dev", without(key), `secrets.remoteKeys.${key}`, /is unmapped/);
                }
                rejects("prod", without("registryPassword"), "secrets.remoteKeys.registryPassword", /is unmapped, but the stack needs registryPassword \(registry.username is set/);
                rejects("prod", { ...without("businessLogicDatabaseUrl"), ...EXTERNAL_DB }, "secrets.remoteKeys.businessLogicDatabaseUrl", /is unmapped, but the stack needs businessLogicDatabaseUrl \(businessLogic.database.mode is external/);
            });

            it("no mapping for a credential the stack does not need: dev has no registry credentials, prod's database is in the cluster", () => {
                const connectorOnly = { connectorEvmPrivateKey: "a", connectorM2mTokenAddress: "b", connectorTokenNetworkRegistry: "c" };
                assert.strictEqual(stackConfig("dev", vault({ remoteKeys: connectorOnly })).secrets.source, "externalSecrets");
                assert.strictEqual(stackConfig("prod", vault({ remoteKeys: { ...REMOTE_KEYS, businessLogicDatabaseUrl: undefined } }), { secrets: {} }).businessLogic.database.mode, "postgres");
            });

            it("in prod with the external source, any credential also in the stack config: remove it from the stack config", () => {
                for (const key of CREDENTIAL_KEYS) {
                    const value = ({ ...PROD_SECRETS, ...DATABASE_URL } as Record<string, string>)[key];
                    rejects("prod", { ...vault(), ...EXTERNAL_DB }, key, /is set in the stack config, but secrets.source is externalSecrets.*no operator-supplied credential may appear in a prod stack's config\. Fix: remove it from the stack config \(`pulumi config rm \w+ --stack prod`\)/, { [key]: value });
                }
                // Also in dev, where the value would only be ignored.
                rejects("dev", vault(), "connectorEvmPrivateKey", /the value there would be ignored\. Fix: remove it from the stack config/, { connectorEvmPrivateKey: PROD_SECRETS.connectorEvmPrivateKey });
            });

            it("a refresh interval that is not a duration, a remote key that is not a key, an unknown field", () => {
                rejects("dev", vault({ refreshInterval: "hourly" }), "secrets.refreshInterval", /not a duration/);
                rejects("dev", vault({ remoteKeys: { ...REMOTE_KEYS, connectorEvmPrivateKey: ["k"] } }), "secrets.remoteKeys.connectorEvmPrivateKey", /expected a remote key/);
                rejects("dev", vault({ remoteKeys: { ...REMOTE_KEYS, connectorEvmPrivateKey: { property: "p" } } }), "secrets.remoteKeys.connectorEvmPrivateKey.key", /is required/);
                rejects("dev", vault({ remoteKeys: { ...REMOTE_KEYS, capKeys: "k" } }), "secrets.remoteKeys.capKeys", /unknown field/);
                rejects("dev", vault({ kind: "SecretStore" }), "secrets.kind", /unknown field/);
                rejects("dev", { secrets: { source: "vault" } }, "secrets.source", /must be one of pulumi, externalSecrets/);
                assert.strictEqual(stackConfig("dev", vault({ refreshInterval: "0" })).secrets.source, "externalSecrets", "0: read once");
            });

            it("and the pulumi source keeps its own checks", () => {
                rejects("prod", {}, "connectorEvmPrivateKey", /is required in prod.*secrets.source externalSecrets/, { ...PROD_SECRETS, connectorEvmPrivateKey: undefined as unknown as string });
            });
        });
    });

    describe("the objects", () => {
        const stacks: Record<string, CapturedStack> = {};
        before(async () => {
            stacks.devPulumi = await captureStack("dev");
            stacks.devVault = await captureStack("dev", vault());
            stacks.prodPulumi = await captureStack("prod", EXTERNAL_DB, { secrets: { ...PROD_SECRETS, ...DATABASE_URL } });
            stacks.prodVault = await captureStack("prod", { ...vault(), ...EXTERNAL_DB }, { secrets: {} });
        });

        for (const env of ["dev", "prod"]) {
            const pulumiSource = () => stacks[`${env}Pulumi`];
            const vaultSource = () => stacks[`${env}Vault`];

            describe(`${env}`, () => {
                it("has the same credential Secrets, names, types and keys, under both sources", () => {
                    const a = credentialSecrets(pulumiSource());
                    const b = credentialSecrets(vaultSource());
                    assert.deepStrictEqual(b, a);
                    assert.deepStrictEqual(a[`m2m-connector/connector-secrets`], { type: "Opaque", keys: ["EVM_PRIVATE_KEY", "M2M_TOKEN_ADDRESS", "TOKEN_NETWORK_REGISTRY"] });
                    if (env === "prod") {
                        assert.deepStrictEqual(a["my-agent/business-logic-database"], { type: "Opaque", keys: ["DATABASE_URL"] });
                        const pulls = Object.entries(a).filter(([k]) => k.endsWith("/registry-pull"));
                        assert.strictEqual(pulls.length, 7, "one pull Secret per namespace");
                        assert.ok(pulls.every(([, v]) => v.type === "kubernetes.io/dockerconfigjson" && v.keys.join() === ".dockerconfigjson"));
                    }
                });

                it("changes no workload between the two: the same pods, reading the same Secrets", () => {
                    assert.deepStrictEqual(podTemplates(vaultSource()), podTemplates(pulumiSource()));
                });

                it("makes the credential Secrets only through ExternalSecrets with the external source, and keeps the generated ones Pulumi Secrets", () => {
                    const plain = ofKind(vaultSource(), "Secret").map((r) => r.props.metadata.name);
                    assert.deepStrictEqual(plain.filter((n) => CREDENTIAL_SECRETS.includes(n)), []);
                    assert.ok(plain.includes("agentstate-cap-keys"), "the CAP keys stay a Pulumi Secret");
                    assert.ok(ofKind(vaultSource(), "RandomBytes").length >= 2, "generated by the stack");
                    assert.deepStrictEqual(ofKind(pulumiSource(), "ExternalSecret"), []);
                    if (env === "dev") {
                        assert.strictEqual(ofKind(vaultSource(), "RandomBytes").filter((r) => r.name.endsWith("dev-evm-key")).length, 0, "no throwaway key: the store holds it");
                    }
                });
            });
        }

        it("writes each ExternalSecret against the ClusterSecretStore, owning a Secret of the same name, labels and type", () => {
            const es = find(stacks.prodVault, "ExternalSecret", "connector-secrets", "m2m-connector");
            const plain = find(stacks.prodPulumi, "Secret", "connector-secrets", "m2m-connector");
            assert.strictEqual(es.props.apiVersion, "external-secrets.io/v1");
            assert.strictEqual(es.props.kind, "ExternalSecret");
            assert.deepStrictEqual(es.props.spec.secretStoreRef, { kind: "ClusterSecretStore", name: STORE });
            assert.strictEqual(es.props.spec.refreshInterval, "1h");
            assert.deepStrictEqual(es.props.spec.target, {
                name: "connector-secrets",
                creationPolicy: "Owner",
                template: { type: "Opaque", engineVersion: "v2", metadata: { labels: plain.props.metadata.labels } },
            });
            assert.deepStrictEqual(es.props.spec.data, [
                { secretKey: "EVM_PRIVATE_KEY", remoteRef: { key: "m2m/prod/connector", property: "evmPrivateKey" } },
                { secretKey: "M2M_TOKEN_ADDRESS", remoteRef: { key: "m2m/prod/connector", property: "m2mTokenAddress" } },
                { secretKey: "TOKEN_NETWORK_REGISTRY", remoteRef: { key: "m2m/prod/connector", property: "tokenNetworkRegistry", version: "3" } },
            ]);
            const db = find(stacks.prodVault, "ExternalSecret", "business-logic-database", "my-agent");
            assert.deepStrictEqual(db.props.spec.data, [{ secretKey: "DATABASE_URL", remoteRef: { key: "m2m/prod/database-url" } }]);
        });

        it("renders the pull Secret's .dockerconfigjson from the remote password exactly as the pulumi source writes it", () => {
            const es = find(stacks.prodVault, "ExternalSecret", "registry-pull", "m2m-connector");
            assert.deepStrictEqual(es.props.spec.data, [{ secretKey: "password", remoteRef: { key: "m2m/prod/registry-password" } }]);
            const template = es.props.spec.target.template;
            assert.strictEqual(template.type, "kubernetes.io/dockerconfigjson");
            const plain = find(stacks.prodPulumi, "Secret", "registry-pull", "m2m-connector");
            const rendered = renderDockerConfig(template.data[".dockerconfigjson"], PROD_SECRETS.registryPassword);
            assert.deepStrictEqual(JSON.parse(rendered), JSON.parse(plain.props.stringData[".dockerconfigjson"]));
            // A password with JSON's special characters stays one JSON string.
            const tricky = 'p"a\\ss:word';
            const auth = JSON.parse(renderDockerConfig(dockerConfigTemplate("registry.example.com", "m2m-ci"), tricky)).auths["registry.example.com"];
            assert.deepStrictEqual([auth.username, auth.password, Buffer.from(auth.auth, "base64").toString()], ["m2m-ci", tricky, `m2m-ci:${tricky}`]);
        });

        it("holds no credential value anywhere in the external stack: not in a resource, not in an output", () => {
            const values = [...Object.values(PROD_SECRETS), DATABASE_URL.businessLogicDatabaseUrl];
            const text = JSON.stringify([stacks.prodVault.resources.map((r) => r.props), stacks.prodVault.outputs]);
            for (const v of values) {
                assert.ok(!text.includes(v), `${v.slice(0, 6)}… appears in the external stack`);
            }
        });

        it("pushes builds with the deploying machine's docker credentials: no username or password from the config", () => {
            const images = ofKind(stacks.prodVault, "Image");
            assert.ok(images.length > 0);
            for (const i of images) {
                assert.deepStrictEqual(i.props.registry, { server: "registry.example.com" }, i.name);
            }
        });

        describe("rolling the pods", () => {
            const checksum = (s: CapturedStack, w: string) => workloads(s).find((x) => x.props.metadata.name === w)!.props.spec.template.metadata.annotations["checksum/secrets"];
            const changedBy = async (overrides: Record<string, unknown>) => {
                const after = await captureStack("prod", deepVault(overrides), { secrets: {} });
                return workloads(after)
                    .filter((w) => JSON.stringify(w.props.spec.template) !== JSON.stringify(workloads(stacks.prodVault).find((x) => label(x) === label(w))!.props.spec.template))
                    .map(label);
            };
            const deepVault = (secrets: Record<string, unknown>) => ({ ...EXTERNAL_DB, secrets: { ...vault().secrets, ...secrets } });

            it("hashes the mapping, not values: a checksum over store, remote keys and refresh interval", () => {
                const c = checksum(stacks.prodVault, "connector");
                assert.match(c, /^[0-9a-f]{64}$/);
                assert.notStrictEqual(c, checksum(stacks.prodPulumi, "connector"));
                const keys = ofKind(stacks.prodVault, "RandomBytes").map((r) => r.name);
                assert.ok(!keys.includes("connector-checksum-key") && !keys.includes("business-logic-checksum-key"), "no HMAC key: there is no value to hash");
                assert.ok(keys.includes("agentstate-checksum-key"), "the generated CAP keys keep theirs");
            });

            it("rolls exactly the workloads whose mapping changed", async () => {
                assert.deepStrictEqual(await changedBy({ remoteKeys: { ...REMOTE_KEYS, connectorEvmPrivateKey: { key: "m2m/prod/connector", property: "evmPrivateKey", version: "4" } } }), ["Deployment m2m-connector/connector"]);
                assert.deepStrictEqual(await changedBy({ remoteKeys: { ...REMOTE_KEYS, businessLogicDatabaseUrl: "m2m/prod/database-url-v2" } }), ["Deployment my-agent/business-logic"]);
                assert.deepStrictEqual((await changedBy({ refreshInterval: "30m" })).sort(), ["Deployment m2m-connector/connector", "Deployment my-agent/business-logic"]);
            });

            it("asks Reloader to roll the workloads that read a Secret ESO writes; nothing for the pulumi source", () => {
                const annotations = (s: CapturedStack, ns: string, name: string) => find(s, "Deployment", name, ns).props.metadata.annotations;
                assert.deepStrictEqual(annotations(stacks.prodVault, "m2m-connector", "connector"), { "secret.reloader.stakater.com/reload": "connector-secrets" });
                assert.deepStrictEqual(annotations(stacks.prodVault, "my-agent", "business-logic"), { "secret.reloader.stakater.com/reload": "business-logic-database" });
                assert.strictEqual(annotations(stacks.prodPulumi, "m2m-connector", "connector"), undefined);
                assert.strictEqual(annotations(stacks.prodPulumi, "my-agent", "business-logic"), undefined);
            });
        });

        it("reads the credential Secrets through the same references in every workload", () => {
            const refs = (s: CapturedStack) =>
                workloads(s).flatMap((w: CapturedResource) => [
                    ...(podSpec(w).imagePullSecrets ?? []).map((p: any) => `${label(w)} pull ${p.name}`),
                    ...podSpec(w).containers.flatMap((c: any) => (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => `${label(w)} ${e.name} ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`)),
                ]);
            const vaultRefs = refs(stacks.prodVault);
            assert.deepStrictEqual(vaultRefs, refs(stacks.prodPulumi));
            assert.ok(vaultRefs.includes("Deployment m2m-connector/connector EVM_PRIVATE_KEY connector-secrets/EVM_PRIVATE_KEY"));
            assert.ok(vaultRefs.includes("Deployment my-agent/business-logic DATABASE_URL business-logic-database/DATABASE_URL"));
        });
    });
});
