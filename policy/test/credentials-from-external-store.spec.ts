import * as assert from "assert";
import { Props, T, UNKNOWN, clone, compliantStack, derivedFrom, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { Resource, loadConfig, policyNamed, runPolicy, urnOf } from "./run";

const policy = policyNamed("credentials-from-external-store");
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";

/** An ExternalSecret as components/kube.ts externalSecret() registers it: it makes the Secret `name` in `ns`. */
function externalSecret(name: string, ns: string, keys: string[], type = "Opaque", apiVersion = "v1"): Resource {
    return {
        type: `kubernetes:external-secrets.io/${apiVersion}:ExternalSecret`,
        name: `${name}-${ns}-external`,
        props: {
            apiVersion: `external-secrets.io/${apiVersion}`,
            kind: "ExternalSecret",
            metadata: { name, namespace: ns },
            spec: {
                refreshInterval: "1h",
                secretStoreRef: { kind: "ClusterSecretStore", name: "vault" },
                target: { name, creationPolicy: "Owner", template: { type, engineVersion: "v2" } },
                data: keys.map((k) => ({ secretKey: k, remoteRef: { key: `m2m/prod/${k}` } })),
            },
        },
    };
}

/**
 * The compliant platform with its credentials from the store: connector-secrets made by an
 * ExternalSecret instead of a plain Secret, and the CAP keys' Secret computed from the
 * stack's RandomBytes (as the program generates them), its only plain Secret.
 */
function externalStack(): Resource[] {
    const keys: Resource = { type: RANDOM_BYTES, name: "agentstate-cap-key-prod-2026-11", props: { length: 32 } };
    const withStore = [...compliantStack().filter((r) => !named(T.secret, "connector-secrets")(r)), externalSecret("connector-secrets", "m2m-connector", ["EVM_PRIVATE_KEY"]), keys];
    return derivedFrom(withStore, named(T.secret, "agentstate-cap-keys"), "stringData", (r) => r === keys);
}

/** A plain Secret carrying a credential from the stack config (its data depends on no resource). */
function configSecret(name: string, ns: string, stringData: Record<string, unknown>): Resource {
    return { type: T.secret, name: `${name}-${ns}`, props: { metadata: { name, namespace: ns }, type: "Opaque", stringData }, propertyDependencies: { metadata: [], stringData: [] } };
}

const DATABASE_URL = "postgres://app:pw@db.internal:5432/app";
/** The business logic reading DATABASE_URL from `secret` (with env secretKeyRef, as the program does). */
const readsDatabase = (secret: unknown) => (p: Props) => (firstContainer(p).env = [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: secret, key: "DATABASE_URL" } } }]);

describe("credentials-from-external-store", () => {
    it("is not applicable without an ExternalSecret: the stack's credentials come from Pulumi config", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        const withConfigSecret = [...mutate(compliantStack(), named(T.deployment, "business-logic"), readsDatabase("business-logic-database")), configSecret("business-logic-database", "my-agent", { DATABASE_URL })];
        expectViolations(await runPolicy(policy, withConfigSecret), []);
    });

    it("passes the credentials from the store and the generated CAP keys in a plain Secret", async () => {
        expectViolations(await runPolicy(policy, externalStack(), loadConfig("prod")), []);
    });

    it("reports a plain Secret from the stack config that a workload reads, next to ExternalSecrets", async () => {
        const r = [...mutate(externalStack(), named(T.deployment, "business-logic"), readsDatabase("business-logic-database")), configSecret("business-logic-database", "my-agent", { DATABASE_URL })];
        const v = await runPolicy(policy, r, loadConfig("prod"));
        expectViolations(v, [
            [
                "Secret my-agent/business-logic-database: is read by Deployment my-agent/business-logic (container business-logic env DATABASE_URL)",
                "a plain Secret whose values come from the program or the stack config",
                "the external store (ExternalSecret m2m-connector/connector-secrets)",
                "[checklist item 6:",
                "Fix: map the credential to a remote key (secrets.remoteKeys) so that an ExternalSecret makes business-logic-database from the store",
            ],
        ]);
        assert.strictEqual(v[0].level, "mandatory");
        assert.strictEqual(v[0].urn, urnOf(r[r.length - 1]), "reported on the Secret");
        assert.strictEqual((await runPolicy(policy, r, loadConfig("dev")))[0].level, "advisory");
    });

    it("reports the plain Secret whichever way the pods read it: envFrom, a secret or projected volume, imagePullSecrets", async () => {
        const cases: [string, (p: Props) => void][] = [
            ["container business-logic envFrom", (p) => (firstContainer(p).envFrom = [{ secretRef: { name: "db" } }])],
            ["volume db", (p) => p.spec.template.spec.volumes.push({ name: "db", secret: { secretName: "db" } })],
            ["volume db (projected)", (p) => p.spec.template.spec.volumes.push({ name: "db", projected: { sources: [{ secret: { name: "db" } }] } })],
            ["imagePullSecrets", (p) => (p.spec.template.spec.imagePullSecrets = [{ name: "db" }])],
        ];
        for (const [via, edit] of cases) {
            const r = [...mutate(externalStack(), named(T.deployment, "business-logic"), edit), configSecret("db", "my-agent", { DATABASE_URL })];
            expectViolations(await runPolicy(policy, r), [[`Secret my-agent/db: is read by Deployment my-agent/business-logic (${via})`]]);
        }
    });

    it("reports a Secret of generated-looking values that the stack does not generate: computed from nothing, or from Kubernetes objects only", async () => {
        const noSource = externalStack().map((r) => (named(T.secret, "agentstate-cap-keys")(r) ? { ...r, propertyDependencies: { stringData: [] } } : r));
        expectViolations(await runPolicy(policy, noSource), [["Secret agentstate/agentstate-cap-keys: is read by StatefulSet agentstate/agentstate (container agentstate env CAP_KEY_ACTIVE)"]]);
        const fromNamespace = derivedFrom(noSource, named(T.secret, "agentstate-cap-keys"), "stringData", named(T.namespace, "agentstate"));
        expectViolations(await runPolicy(policy, fromNamespace), [["Secret agentstate/agentstate-cap-keys: is read by"]]);
    });

    it("judges by all the dependencies when the engine sends no property dependencies", async () => {
        const keys = externalStack().find((r) => r.type === RANDOM_BYTES)!;
        const ns = externalStack().find(named(T.namespace, "agentstate"))!;
        const withDeps = (deps: Resource[]) =>
            externalStack().map((r) => (named(T.secret, "agentstate-cap-keys")(r) ? { ...r, propertyDependencies: undefined, dependencies: deps.map(urnOf) } : r));
        expectViolations(await runPolicy(policy, withDeps([ns, keys])), []);
        expectViolations(await runPolicy(policy, withDeps([ns])), [["Secret agentstate/agentstate-cap-keys: is read by"]]);
    });

    it("reports a Secret of the stack that an ExternalSecret also makes (any ExternalSecret version)", async () => {
        for (const version of ["v1", "v1beta1"]) {
            const r = [...externalStack(), configSecret("connector-secrets", "m2m-connector", { EVM_PRIVATE_KEY: UNKNOWN })].map((x) =>
                x.type === EXTERNAL_SECRET ? { ...externalSecret("connector-secrets", "m2m-connector", ["EVM_PRIVATE_KEY"], "Opaque", version) } : x,
            );
            expectViolations(await runPolicy(policy, r), [
                [`Secret m2m-connector/connector-secrets: is also the target of ExternalSecret m2m-connector/connector-secrets, so Pulumi and the External Secrets Operator would both write it`],
                ["Secret m2m-connector/connector-secrets: is read by Deployment m2m-connector/connector (container connector env EVM_PRIVATE_KEY)"],
            ]);
        }
    });

    it("leaves alone plain Secrets no workload reads, and one of the same name in another namespace", async () => {
        const r = [...externalStack(), configSecret("unused", "my-agent", { TOKEN: "t" }), configSecret("agentstate-cap-keys", "my-agent", { CAP_KEY_ACTIVE: "x" })];
        expectViolations(await runPolicy(policy, r), []);
    });

    describe("values unknown during preview", () => {
        const withDatabase = (secretName: unknown, deps = true) => {
            const db = configSecret("business-logic-database", "my-agent", { DATABASE_URL: UNKNOWN });
            const r = [...mutate(externalStack(), named(T.deployment, "business-logic"), readsDatabase(secretName)), db];
            return deps ? derivedFrom(r, named(T.deployment, "business-logic"), "spec", (x) => x === db) : r;
        };

        it("an unknown Secret name is the plain Secret the workload's spec depends on (the program passes its metadata.name output)", async () => {
            expectViolations(await runPolicy(policy, withDatabase(UNKNOWN)), [
                ["Secret my-agent/business-logic-database: is read by Deployment my-agent/business-logic (container business-logic env DATABASE_URL, its name unknown during preview)"],
            ]);
            expectViolations(await runPolicy(policy, withDatabase(UNKNOWN, false)), []);
        });

        it("an unknown env list, volume list or container may read any plain Secret of its namespace: reported on the workload", async () => {
            const db = configSecret("business-logic-database", "my-agent", { DATABASE_URL });
            for (const [what, edit] of [
                ["container business-logic env", (p: Props) => (firstContainer(p).env = UNKNOWN)],
                ["volumes", (p: Props) => (p.spec.template.spec.volumes = UNKNOWN)],
                ["container <unknown>", (p: Props) => (p.spec.template.spec.containers[0] = UNKNOWN)],
            ] as [string, (p: Props) => void][]) {
                const r = [...mutate(externalStack(), named(T.deployment, "business-logic"), edit), db];
                expectViolations(await runPolicy(policy, r), [[`Deployment my-agent/business-logic: its ${what} is unknown during preview, so it is not known not to read Secret my-agent/business-logic-database`]]);
            }
            const noPlain = mutate(externalStack(), named(T.deployment, "business-logic"), (p) => (firstContainer(p).env = UNKNOWN));
            expectViolations(await runPolicy(policy, noPlain), []);
        });

        it("a Secret or workload whose namespace is unknown may share the other's", async () => {
            const r = withDatabase("business-logic-database", false).map((x) => (named(T.secret, "business-logic-database")(x) ? { ...x, props: { ...clone(x.props), metadata: { name: "business-logic-database", namespace: UNKNOWN } } } : x));
            expectViolations(await runPolicy(policy, r), [["Secret <unknown>/business-logic-database: is read by Deployment my-agent/business-logic"]]);
        });

        it("Secret data unknown changes nothing: the rule reads where values come from, not the values", async () => {
            const r = withDatabase("business-logic-database");
            expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["Secret my-agent/business-logic-database: is read by"]]);
            expectViolations(await runPolicy(policy, withPreviewUnknowns(externalStack())), []);
        });

        it("an ExternalSecret whose target is unknown still makes the rule apply, and conflicts with nothing", async () => {
            const r = externalStack().map((x) => (x.type === EXTERNAL_SECRET ? { ...x, props: { ...clone(x.props), metadata: { name: UNKNOWN, namespace: "m2m-connector" }, spec: UNKNOWN } } : x));
            expectViolations(await runPolicy(policy, r), []);
            const plain = [...mutate(r, named(T.deployment, "business-logic"), readsDatabase("db")), configSecret("db", "my-agent", { DATABASE_URL })];
            expectViolations(await runPolicy(policy, plain), [["Secret my-agent/db: is read by"]]);
        });

        it("never fails to run, whatever single field of the external platform is unknown", async function () {
            this.timeout(60000);
            const base = [...mutate(externalStack(), named(T.deployment, "business-logic"), readsDatabase("db")), configSecret("db", "my-agent", { DATABASE_URL })];
            const failures: string[] = [];
            const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
                v === null || typeof v !== "object" ? [at] : [...(at.length ? [at] : []), ...Object.keys(v).flatMap((k) => paths((v as any)[k], [...at, Array.isArray(v) ? Number(k) : k]))];
            let cases = 0;
            for (let i = 0; i < base.length; i++) {
                if (![T.deployment, T.statefulSet, T.secret, EXTERNAL_SECRET].includes(base[i].type)) {
                    continue;
                }
                for (const path of paths(base[i].props)) {
                    cases++;
                    const props = clone(base[i].props);
                    let at: any = props;
                    path.slice(0, -1).forEach((k) => (at = at[k]));
                    at[path[path.length - 1]] = UNKNOWN;
                    const stack = base.map((x, j) => (j === i ? { ...x, props } : x));
                    failures.push(...(await runPolicy(policy, stack)).filter((v) => v.cantRun).map((v) => `${base[i].type} ${path.join(".")}: ${v.message}`));
                }
            }
            assert.ok(cases > 300, `${cases} cases`);
            assert.deepStrictEqual(failures.slice(0, 10), []);
        });
    });
});
