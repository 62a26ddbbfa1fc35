// Each config key is declared once (config/): the program reads the stack through the
// declarations, and Pulumi.yaml's config block and the README's config table must say
// what they say. These specs fail when either file drifts (`npm run config:docs` rewrites
// both), and show that each kind of drift is caught.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, DECLARATIONS, PlatformConfig, SECRET_KEYS } from "../config";
import { configTableRows, projectConfig } from "../config/docs";
import { Field, Fields, Group, isPerEnv } from "../config/schema";
import { ROOT, projectDrift, readConfigTable, renderPulumiYaml, renderReadme, tableDrift } from "../scripts/config-docs";
import { PROD_SECRETS } from "./harness";
import { parseConfig } from "../config";

const PULUMI_YAML = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const FIX = "run `npm run config:docs` (or change the declaration in config/)";

describe("config declarations", () => {
    it("declare every key the program accepts, once", () => {
        const keys = DECLARATIONS.map((d) => d.key);
        assert.strictEqual(new Set(keys).size, keys.length, "no key is declared twice");
        assert.deepStrictEqual([...keys].sort(), [...CONFIG_KEYS].sort());
        assert.deepStrictEqual([...SECRET_KEYS].sort(), ["businessLogicDatabaseUrl", "connectorEvmPrivateKey", "connectorM2mTokenAddress", "connectorTokenNetworkRegistry", "registryPassword"]);
    });

    it("give every field a default or say what unset means", () => {
        const walk = (at: string, v: Field<unknown> | Group<Fields>): string[] =>
            v.kind === "group" ? Object.entries(v.fields).flatMap(([k, f]) => walk(`${at}.${k}`, f)) : v.default === undefined && !v.unset ? [at] : [];
        assert.deepStrictEqual(DECLARATIONS.flatMap((d) => walk(d.key, d.value)), []);
    });

    describe("Pulumi.yaml", () => {
        it("declares every key but the secrets with the declared type, default and description", () => {
            assert.deepStrictEqual(projectDrift(PULUMI_YAML), [], FIX);
        });

        it("is what `npm run config:docs` writes", () => {
            assert.strictEqual(renderPulumiYaml(PULUMI_YAML), PULUMI_YAML, FIX);
        });

        it("catches a missing key, an extra key, a changed default or description, and a secret left out of the comment", () => {
            const drop = PULUMI_YAML.replace(/^ {2}monitoring:\n(?: {4}.*\n)+/m, "");
            assert.deepStrictEqual(projectDrift(drop), ["monitoring: declared in config/ but missing from Pulumi.yaml's config block"]);
            const extra = `${PULUMI_YAML}  tracing:\n    type: object\n    default: {}\n    description: x\n`;
            assert.deepStrictEqual(projectDrift(extra), ["tracing: in Pulumi.yaml's config block but not declared in config/"]);
            const secretDeclared = `${PULUMI_YAML}  registryPassword:\n    type: string\n    description: x\n`;
            assert.match(projectDrift(secretDeclared).join("\n"), /registryPassword: .*a secret key: it belongs in the comment/);
            const changedDefault = PULUMI_YAML.replace(/(namespacePrefix:\n {4}type: string\n {4}default: )""/, '$1"x-"');
            assert.notStrictEqual(changedDefault, PULUMI_YAML);
            assert.deepStrictEqual(projectDrift(changedDefault), ['namespacePrefix: default is "x-", the declaration says ""']);
            const changedDescription = PULUMI_YAML.replace("cacheGrid (dev 256MiB, prod 1GiB)", "cacheGrid (dev 512MiB, prod 1GiB)");
            assert.match(projectDrift(changedDescription).join("\n"), /^tigerbeetle: description is .*512MiB/);
            const required = PULUMI_YAML.replace(/(storageClass:\n {4}type: string\n) {4}default: ""\n/, "$1");
            assert.deepStrictEqual(projectDrift(required), ['storageClass: default is undefined, the declaration says ""']);
            const noSecret = PULUMI_YAML.replace(/^#\s+businessLogicDatabaseUrl: .*\n/m, "");
            assert.match(projectDrift(noSecret).join("\n"), /^secret businessLogicDatabaseUrl: Pulumi.yaml's comment does not say/);
        });
    });

    describe("README config table", () => {
        it("lists every declared key with its declared default", () => {
            assert.deepStrictEqual(tableDrift(README), [], FIX);
        });

        it("is what `npm run config:docs` writes, keeping the dev and prod columns", () => {
            assert.strictEqual(renderReadme(README), README, FIX);
            const prod = new Map(readConfigTable(README).rows.map((r) => [r.key, r.prod]));
            assert.strictEqual(prod.get("`tigerbeetle.replicas`"), "3");
        });

        it("catches a missing row, an extra row and a changed default", () => {
            const drop = README.replace(/^\| `agentState\.watchBufferSize` .*\n/m, "");
            assert.deepStrictEqual(tableDrift(drop), ["`agentState.watchBufferSize`: no row in the README's config table (its default: `10000`)"]);
            const extra = README.replace(/^(\| `monitoring\.namespace` .*\n)/m, "$1| `monitoring.port` | `9090` | | |\n");
            assert.deepStrictEqual(tableDrift(extra), ["`monitoring.port`: a row in the README's config table for no declared key"]);
            const changed = README.replace(/^\| `connector\.localDeliveryTimeoutMs` \| `30000` \|/m, "| `connector.localDeliveryTimeoutMs` | `60000` |");
            assert.notStrictEqual(changed, README);
            assert.deepStrictEqual(tableDrift(changed), ['`connector.localDeliveryTimeoutMs`: the README\'s default is "`60000`", the declaration says "`30000`"']);
        });
    });

    describe("are what the program reads", () => {
        // A stack that sets only what has no default: every other field takes its declared one.
        const minimal = (environment: "dev" | "prod"): PlatformConfig => {
            const image = (name: string) => `registry.example.com/${name}:v1`;
            const values: Record<string, unknown> = {
                environment,
                connector: { image: image("c") },
                agentRuntime: { image: image("a") },
                businessLogic: { image: image("b") },
                agentState: { image: image("s") },
                agency: { image: image("g") },
                ...(environment === "prod"
                    ? { ingress: { enabled: true, tls: { clusterIssuer: "ci" }, hosts: { spsp: "p", btp: "b", explorer: "e", agentState: "s" } }, tigerbeetle: {}, backups: { snapshotClass: "snapshots" } }
                    : {}),
            };
            const secrets = environment === "prod" ? PROD_SECRETS : {};
            return parseConfig({ values: { ...values, ...secrets }, secretKeys: new Set(Object.keys(secrets)), stack: environment });
        };
        // Where the typed config holds a key's value, when not at the key's own path.
        const at = (cfg: PlatformConfig, key: string): unknown => {
            const moved: Record<string, unknown> = {
                "monitoring.namespace": cfg.monitoringNamespace,
                "monitoring.alertRules": cfg.alertRules,
                "backups.enabled": cfg.backups !== undefined,
                "tigerbeetle.clusterId": cfg.tigerbeetle.clusterId.mode === "generate" ? "generate" : cfg.tigerbeetle.clusterId.value,
                "agency.hpa.queueLengthTarget": cfg.agency.hpa.queueLengthTarget,
                ...Object.fromEntries(Object.entries(cfg).flatMap(([tier, v]) => (v && typeof v === "object" && "namespace" in v ? [[`namespaces.${tier}`, v.namespace]] : []))),
            };
            if (key in moved) {
                return moved[key];
            }
            const value = key.split(".").reduce<any>((o, k) => (o === undefined ? undefined : o[k]), cfg);
            return value && typeof value === "object" && value.kind === "prebuilt" ? value.ref : value;
        };

        for (const environment of ["dev", "prod"] as const) {
            it(`applies every declared default in ${environment}`, () => {
                const cfg = minimal(environment);
                const checked: string[] = [];
                const walk = (key: string, v: Field<unknown> | Group<Fields>) => {
                    if (v.kind === "group") {
                        Object.entries(v.fields).forEach(([k, f]) => walk(`${key}.${k}`, f));
                    } else if (v.default !== undefined) {
                        const actual = at(cfg, key);
                        if (actual !== undefined) {
                            assert.deepStrictEqual(actual, isPerEnv(v.default) ? v.default[environment] : v.default, key);
                            checked.push(key);
                        }
                    }
                };
                DECLARATIONS.forEach((d) => walk(d.key, d.value));
                // All but the in-cluster namespace prefix and the fields of a database mode not chosen.
                assert.ok(checked.length > 60, `checked ${checked.length} defaults`);
                assert.ok(checked.includes("tigerbeetle.replicas") && checked.includes("agency.resources.brain") && checked.includes("namespaces.agentState"));
            });
        }
    });

    it("render one README row per field or inline group", () => {
        const keys = configTableRows(DECLARATIONS).map((r) => r.key);
        assert.ok(keys.includes("`connector.settlement.{enabled,preference,threshold,feePercentage}`"));
        assert.ok(keys.includes("`registryPassword` (secret)"));
        assert.strictEqual(Object.keys(projectConfig(DECLARATIONS)).length, CONFIG_KEYS.length - SECRET_KEYS.length);
    });
});
