import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CONFIG_KEYS, ConfigError, PROJECT, SECRET_KEYS, imagePinProblem, loadConfig, parseConfig, parseQuantity } from "../config";
import { PROD_SECRETS, rejectsConfig, stackConfig, stackValues } from "./harness";

const rejects = rejectsConfig;

describe("config", () => {
    it("declares in Pulumi.yaml every key it accepts but the optional secrets, each optional key with a default", () => {
        const text = fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8");
        const project = yaml.load(text) as { name: string; config: Record<string, any> };
        assert.strictEqual(project.name, PROJECT);
        const secrets = SECRET_KEYS as readonly string[];
        assert.deepStrictEqual(Object.keys(project.config).sort(), CONFIG_KEYS.filter((k) => !secrets.includes(k)).sort());
        for (const [key, decl] of Object.entries(project.config)) {
            assert.ok(decl.description, `${key} is described`);
            // The engine refuses a stack that lacks a declared key with no default.
            assert.strictEqual("default" in decl, key !== "environment", `${key}: only environment is required`);
            if (decl.type === "object") {
                assert.deepStrictEqual(decl.default, {}, `${key}: an object key defaults to {} (every field at its default)`);
            }
        }
        // A declared secret would be required in every stack (a default is plaintext, which the
        // engine rejects for a secret key), so the optional secrets are documented in a comment.
        for (const key of secrets) {
            assert.match(text, new RegExp(`^#\\s+${key}: .*\\(secret`, "m"), `${key} is documented in Pulumi.yaml`);
        }
    });

    it("accepts the dev and prod stack files as committed", () => {
        const dev = stackConfig("dev");
        const prod = stackConfig("prod");
        assert.strictEqual(dev.environment, "dev");
        assert.strictEqual(prod.environment, "prod");
    });

    it("gives dev one TigerBeetle replica with cluster ID 0 and prod three with a generated ID", () => {
        const dev = stackConfig("dev");
        const prod = stackConfig("prod");
        assert.strictEqual(dev.tigerbeetle.replicas, 1);
        assert.deepStrictEqual(dev.tigerbeetle.clusterId, { mode: "fixed", value: "0" });
        assert.strictEqual(prod.tigerbeetle.replicas, 3);
        assert.deepStrictEqual(prod.tigerbeetle.clusterId, { mode: "generate" });
    });

    it("uses prebuilt images in dev and builds in prod", () => {
        const dev = stackConfig("dev");
        const prod = stackConfig("prod");
        assert.strictEqual(dev.connector.image.kind, "prebuilt");
        assert.strictEqual(prod.connector.image.kind, "build");
        assert.strictEqual(prod.connector.image.kind === "build" && prod.connector.image.repository, "registry.example.com/m2m-connector");
    });

    it("applies the seeds' production resource figures to the connector in prod", () => {
        assert.deepStrictEqual(stackConfig("prod").connector.resources, {
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "2000m", memory: "2Gi" },
        });
        assert.deepStrictEqual(stackConfig("dev").connector.resources, {
            requests: { cpu: "250m", memory: "512Mi" },
            limits: { cpu: "1000m", memory: "1Gi" },
        });
    });

    it("prefixes every namespace so two stacks can share a cluster", () => {
        const cfg = stackConfig("dev", { namespacePrefix: "alice-" });
        assert.strictEqual(cfg.tigerbeetle.namespace, "alice-tigerbeetle");
        assert.strictEqual(cfg.connector.namespace, "alice-m2m-connector");
        assert.strictEqual(cfg.agency.namespacePrefix, "alice-");
    });

    it("takes per-tier namespace overrides", () => {
        const cfg = stackConfig("dev", { namespaces: { businessLogic: "payments" } });
        assert.strictEqual(cfg.businessLogic.namespace, "payments");
    });

    describe("rejects bad input before any resource is registered", () => {
        it("an even TigerBeetle replica count", () => {
            rejects("prod", { tigerbeetle: { replicas: 2 } }, "tigerbeetle.replicas", /must be odd/);
            rejects("dev", { tigerbeetle: { replicas: 4 } }, "tigerbeetle.replicas", /must be odd/);
        });

        it("a single TigerBeetle replica in prod", () => {
            rejects("prod", { tigerbeetle: { replicas: 1 } }, "tigerbeetle.replicas", /at least 3/);
        });

        it("more TigerBeetle replicas than a cluster holds", () => {
            rejects("prod", { tigerbeetle: { replicas: 7 } }, "tigerbeetle.replicas", /at most 5/);
        });

        it("a cluster ID beyond 128 bits", () => {
            rejects("dev", { tigerbeetle: { clusterId: (1n << 128n).toString() } }, "tigerbeetle.clusterId", /out of range/);
        });

        it("cluster ID 0 in prod", () => {
            rejects("prod", { tigerbeetle: { clusterId: "0" } }, "tigerbeetle.clusterId", /reserved for testing/);
        });

        it("a cluster ID that is not a number", () => {
            rejects("dev", { tigerbeetle: { clusterId: "-5" } }, "tigerbeetle.clusterId", /decimal 128-bit integer/);
        });

        it("accepts the largest 128-bit cluster ID", () => {
            const max = ((1n << 128n) - 1n).toString();
            assert.deepStrictEqual(stackConfig("prod", { tigerbeetle: { clusterId: max } }).tigerbeetle.clusterId, { mode: "fixed", value: max });
        });

        for (const key of ["connectorEvmPrivateKey", "connectorM2mTokenAddress", "connectorTokenNetworkRegistry"]) {
            it(`missing ${key} in prod`, () => {
                const secrets = { ...PROD_SECRETS };
                delete secrets[key];
                rejects("prod", {}, key, /required in prod/, { secrets });
            });
        }

        it("a connector secret stored in plaintext in prod", () => {
            const { values, secretKeys } = stackValues("prod");
            secretKeys.delete("connectorEvmPrivateKey");
            assert.throws(
                () => parseConfig({ values, secretKeys, stack: "prod" }),
                /connectorEvmPrivateKey: is stored in plaintext.*pulumi config set --secret connectorEvmPrivateKey/,
            );
        });

        it("tenant names that are not DNS-1123 labels", () => {
            rejects("dev", { agency: { tenants: ["Client_A"] } }, "agency.tenants", /not a DNS-1123 label/);
            rejects("dev", { agency: { tenants: ["-client"] } }, "agency.tenants", /not a DNS-1123 label/);
            rejects("dev", { agency: { tenants: ["a".repeat(64)] } }, "agency.tenants", /not a DNS-1123 label/);
        });

        it("a tenant listed twice", () => {
            rejects("dev", { agency: { tenants: ["client-a", "client-a"] } }, "agency.tenants", /listed twice/);
        });

        it("a tenant that would take a platform namespace", () => {
            rejects("dev", { agency: { tenants: ["tigerbeetle"] } }, "agency.tenants", /share namespace/);
        });

        it("inverted HPA bounds", () => {
            rejects("dev", { businessLogic: { hpa: { minReplicas: 5, maxReplicas: 3 } } }, "businessLogic.hpa.maxReplicas", /below minReplicas/);
            rejects("dev", { agency: { hpa: { minReplicas: 4, maxReplicas: 2 } } }, "agency.hpa.maxReplicas", /below minReplicas/);
        });

        it("negative or zero HPA bounds", () => {
            rejects("dev", { businessLogic: { hpa: { minReplicas: -1 } } }, "businessLogic.hpa.minReplicas", /at least 1/);
            rejects("dev", { businessLogic: { hpa: { cpuUtilization: 0 } } }, "businessLogic.hpa.cpuUtilization", /at least 1/);
        });

        it("a `latest` image in prod", () => {
            rejects("prod", { agentState: { image: "ghcr.io/agentstate/agentstate-server:latest" } }, "agentState.image", /mutable tag `latest`/);
        });

        it("an untagged image in prod", () => {
            rejects("prod", { tigerbeetle: { image: "ghcr.io/tigerbeetle/tigerbeetle" } }, "tigerbeetle.image", /has no tag/);
        });

        it("a build tagged `latest`", () => {
            rejects("prod", { connector: { image: { context: "../m2m", tag: "latest" } } }, "connector.image.tag", /not a release tag/);
        });

        it("a build with no registry to push to", () => {
            rejects("dev", { connector: { image: { context: "../m2m" } } }, "connector.image", /no registry/);
        });

        it("a missing required image", () => {
            rejects("dev", {}, "agentState.image", /is required/, { without: ["agentState"] });
        });

        it("an unknown key", () => {
            rejects("dev", { tigerbeetel: { replicas: 1 } }, "tigerbeetel", /unknown config key/);
        });

        it("one or two of the three connector credentials in dev (all or none)", () => {
            const given = { connectorEvmPrivateKey: PROD_SECRETS.connectorEvmPrivateKey };
            rejects("dev", {}, "connectorM2mTokenAddress", /missing while connectorEvmPrivateKey is set/, { secrets: given });
            rejects("dev", {}, "connectorTokenNetworkRegistry", /go together/, { secrets: given });
            assert.doesNotThrow(() => stackConfig("dev"), "none given: dev generates a throwaway set");
        });

        it("monitoring.namespace and storageClass that are not valid Kubernetes names", () => {
            rejects("dev", { monitoring: { namespace: "Monitoring_NS" } }, "monitoring.namespace", /is not a DNS-1123 label/);
            rejects("dev", { storageClass: "Fast SSD" }, "storageClass", /not a valid Kubernetes object name/);
            assert.strictEqual(stackConfig("dev", { storageClass: "fast-ssd.example.com" }).storageClass, "fast-ssd.example.com");
        });

        it("a malformed image digest, in dev as in prod, read as the policy pack reads it", () => {
            rejects("dev", { connector: { image: "127.0.0.1:5000/m2m/connector@sha256:abc" } }, "connector.image", /malformed digest/);
            rejects("prod", { agentState: { image: "ghcr.io/agentstate/agentstate-server@sha256:XYZ" } }, "agentState.image", /malformed digest/, { secrets: PROD_SECRETS });
        });

        it("an external database's egress CIDRs that are not CIDRs, or a port out of range", () => {
            const ext = (database: Record<string, unknown>) => ({ businessLogic: { image: "127.0.0.1:5000/m2m/business-logic:v1.0.0", database: { mode: "external", ...database } } });
            const secrets = { secrets: { businessLogicDatabaseUrl: "postgres://u:p@db/app" } };
            rejects("dev", ext({ egressCidrs: ["10.20.0.0"] }), "businessLogic.database.egressCidrs[0]", /not a CIDR/, secrets);
            rejects("dev", ext({ egressCidrs: [] }), "businessLogic.database.egressCidrs", /non-empty list/, secrets);
            rejects("dev", ext({ port: 70000 }), "businessLogic.database.port", /./, secrets);
        });

        it("a key named after an Object.prototype member (constructor, toString)", () => {
            rejects("dev", { constructor: "x" }, "constructor", /unknown config key/);
            rejects("dev", { toString: "x" }, "toString", /unknown config key/);
        });

        it("an unknown field inside a key", () => {
            rejects("dev", { tigerbeetle: { replica: 3 } }, "tigerbeetle.replica", /unknown field/);
        });

        it("a limit below its request", () => {
            rejects(
                "dev",
                { agentRuntime: { resources: { requests: { cpu: "2" }, limits: { cpu: "500m" } } } },
                "agentRuntime.resources.limits.cpu",
                /below the request/,
            );
        });

        it("a malformed quantity", () => {
            rejects("dev", { tigerbeetle: { storage: "ten gigs" } }, "tigerbeetle.storage", /not a Kubernetes quantity/);
        });

        it("prod without an ingress", () => {
            rejects("prod", { ingress: { enabled: false } }, "ingress.enabled", /through an Ingress/);
        });

        it("a prod ingress without TLS", () => {
            rejects("prod", { ingress: { tls: undefined } }, "ingress.tls", /must terminate TLS/);
        });

        it("an ingress without hosts", () => {
            rejects("dev", { ingress: { enabled: true } }, "ingress.hosts.spsp", /is required/);
        });

        it("a missing environment", () => {
            rejects("dev", {}, "environment", /is required/, { without: ["environment"] });
        });

        it("an external database without its URL", () => {
            rejects("dev", { businessLogic: { database: { mode: "external" } } }, "businessLogicDatabaseUrl", /required when/);
        });

        it("two tiers in one namespace", () => {
            rejects("dev", { namespaces: { agentState: "tigerbeetle" } }, "namespaces.agentState", /also used by tigerbeetle/);
        });

        it("a namespace that is not a DNS label", () => {
            rejects("dev", { namespacePrefix: "Team_" }, "namespacePrefix", /not a DNS-1123 label/);
        });

        it("the same id for the active and next CAP key", () => {
            rejects("dev", { agentState: { capKeys: { activeId: "k1", nextId: "k1" } } }, "agentState.capKeys.nextId", /equals activeId/);
        });

        it("a wrongly typed value", () => {
            rejects("dev", { connector: { replicas: "two" } }, "connector.replicas", /whole number/);
            rejects("dev", { agentRuntime: { spspEnabled: "yes" } }, "agentRuntime.spspEnabled", /true or false/);
        });

        it("reports every problem at once", () => {
            assert.throws(
                () => stackConfig("prod", { tigerbeetle: { replicas: 2, clusterId: "0" }, agency: { tenants: ["Bad"] } }),
                (err: unknown) => err instanceof ConfigError && err.problems.length === 3,
            );
        });
    });

    describe("loadConfig", () => {
        before(() => pulumi.runtime.setMocks({ newResource: () => ({ id: undefined, state: {} }), call: () => ({}) }, PROJECT, "unit"));
        afterEach(() => pulumi.runtime.setAllConfig({}));

        it("reads the stack's config through the Pulumi runtime, JSON objects included", () => {
            pulumi.runtime.setAllConfig(
                {
                    [`${PROJECT}:environment`]: "dev",
                    [`${PROJECT}:tigerbeetle`]: JSON.stringify({ replicas: 3 }),
                    [`${PROJECT}:connector`]: JSON.stringify({ image: "r/c:1" }),
                    [`${PROJECT}:agentRuntime`]: JSON.stringify({ image: "r/a:1" }),
                    [`${PROJECT}:businessLogic`]: JSON.stringify({ image: "r/b:1" }),
                    [`${PROJECT}:agentState`]: JSON.stringify({ image: "r/s:1" }),
                    [`${PROJECT}:agency`]: JSON.stringify({ image: "r/g:1", tenants: ["t1", "t2"] }),
                    "kubernetes:context": "ignored-other-namespace",
                },
                [],
            );
            const cfg = loadConfig();
            assert.strictEqual(cfg.tigerbeetle.replicas, 3);
            assert.deepStrictEqual(cfg.agency.tenants, ["t1", "t2"]);
        });

        it("knows which keys the stack holds as secrets", () => {
            const base: Record<string, string> = { [`${PROJECT}:environment`]: "prod" };
            pulumi.runtime.setAllConfig({ ...base, [`${PROJECT}:connectorEvmPrivateKey`]: "0xabc" }, [`${PROJECT}:connectorEvmPrivateKey`]);
            assert.throws(loadConfig, (err: unknown) => err instanceof ConfigError && !err.message.includes("connectorEvmPrivateKey: is stored in plaintext"));
            pulumi.runtime.setAllConfig({ ...base, [`${PROJECT}:connectorEvmPrivateKey`]: "0xabc" }, []);
            assert.throws(loadConfig, /connectorEvmPrivateKey: is stored in plaintext/);
        });
    });

    describe("helpers", () => {
        it("parses quantities to cores and bytes", () => {
            assert.strictEqual(parseQuantity("500m"), 0.5);
            assert.strictEqual(parseQuantity("2Gi"), 2 * 1024 ** 3);
            assert.strictEqual(parseQuantity("bogus"), undefined);
        });

        it("tells pinned image references from mutable ones", () => {
            assert.strictEqual(imagePinProblem("r.io/a/b:1.2.3"), undefined);
            assert.strictEqual(imagePinProblem(`r.io/a/b@sha256:${"a".repeat(64)}`), undefined);
            assert.strictEqual(imagePinProblem("127.0.0.1:5000/b:v1"), undefined);
            assert.match(imagePinProblem("127.0.0.1:5000/b") ?? "", /no tag/);
            assert.match(imagePinProblem("b:latest") ?? "", /latest/);
        });
    });
});
