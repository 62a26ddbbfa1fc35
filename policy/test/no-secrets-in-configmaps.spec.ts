import { T, UNKNOWN, compliantStack, configMap, expectViolations, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("no-secrets-in-configmaps");
const cm = (data: Record<string, string>) => [configMap("app", "m2m-connector", data)];

describe("no-secrets-in-configmaps", () => {
    it("passes the platform's ConfigMaps, key ids and TLS file paths included", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, cm({ CAP_KEY_ACTIVE_ID: "prod-2026-11", TLS_KEY_FILE: "/tls/tls.key", CLUSTER_ID: "340282366920938463463374607431768211455" })), []);
    });

    it("reports keys named like credentials", async () => {
        const v = await runPolicy(policy, cm({ EVM_PRIVATE_KEY: "x", API_TOKEN: "y", DB_PASSWORD: "z", clientSecret: "w" }));
        expectViolations(v, [
            ["ConfigMap m2m-connector/app: data.EVM_PRIVATE_KEY is named like a credential", "[checklist item 6:", "Fix: move EVM_PRIVATE_KEY to a Secret"],
            ["data.API_TOKEN is named like a credential"],
            ["data.DB_PASSWORD is named like a credential"],
            ["data.clientSecret is named like a credential"],
        ]);
    });

    it("reports values that look like key material", async () => {
        const v = await runPolicy(policy, cm({
            SIGNER: `0x${"a1".repeat(32)}`,
            PEM: "-----BEGIN RSA PRIVATE KEY-----\nMIIB...\n-----END RSA PRIVATE KEY-----",
            DATABASE_URL: "postgres://app:hunter2@postgres:5432/app",
            HMAC: "dGhpc2lzYXNhbXBsZWtleWZvcmRlbW9zdHJhdGlvbnB1cnBvc2Vz",
            BEARER: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "config.yaml": `settlement:\n  key: 0x${"b2".repeat(32)}\n`,
        }));
        expectViolations(v, [
            ["data.SIGNER holds what looks like a 32-byte hex key"],
            ["data.PEM holds what looks like a PEM private key"],
            ["data.DATABASE_URL holds what looks like a URL with an embedded password"],
            ["data.HMAC holds what looks like a base64 string of key length"],
            ["data.BEARER holds what looks like a JSON Web Token"],
            ["data.config.yaml holds what looks like a 32-byte hex key"],
        ]);
    });

    it("reports binaryData keys named like credentials", async () => {
        const r = mutate(cm({}), () => true, (p) => (p.binaryData = { "tls.key": "AAAA" }));
        expectViolations(await runPolicy(policy, r), [["binaryData.tls.key is named like a credential"]]);
    });

    it("takes name and exemption patterns from config", async () => {
        const config = { "no-secrets-in-configmaps": { exemptNamePatterns: ["_ID$", "^TOKEN_NETWORK"] } };
        expectViolations(await runPolicy(policy, cm({ TOKEN_NETWORK_REGISTRY_URL: "https://x" }), config), []);
        const strict = { "no-secrets-in-configmaps": { secretNamePatterns: ["SALT"] } };
        expectViolations(await runPolicy(policy, cm({ HASH_SALT: "x" }), strict), [["data.HASH_SALT is named like a credential"]]);
    });

    it("leaves the AgentState config with key ids alone but not a key value", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.CAP_KEY_ACTIVE = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="));
        expectViolations(await runPolicy(policy, r), [["ConfigMap agentstate/agentstate-config: data.CAP_KEY_ACTIVE is named like a credential"]]);
    });

    it("still reports a credential-named key with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "connector-config"), (p) => (p.data.API_TOKEN = "x"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["ConfigMap m2m-connector/connector-config: data.API_TOKEN is named like a credential"]]);
    });

    it("checks key names even when their values are unknown during preview, and leaves unknown values to the update", async () => {
        const v = await runPolicy(policy, cm({ TIGERBEETLE_CLUSTER_ID: UNKNOWN, "config.yaml": UNKNOWN, DB_PASSWORD: UNKNOWN }));
        expectViolations(v, [["data.DB_PASSWORD is named like a credential"]]);
        const whole = mutate(cm({}), () => true, (p) => (p.data = UNKNOWN));
        expectViolations(await runPolicy(policy, whole), []);
    });
});
