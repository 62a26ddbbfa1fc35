import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("no-secret-literals-in-env");
const withEnv = (...env: any[]) => mutate(compliantStack(), named(T.deployment, "connector"), (p) => firstContainer(p).env.push(...env));

describe("no-secret-literals-in-env", () => {
    it("passes credentials read with secretKeyRef and plain literals", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, withEnv({ name: "LOG_LEVEL", value: "info" }, { name: "CAP_KEY_ACTIVE_ID", value: "prod-2026-11" })), []);
    });

    it("reports a credential set to a literal value", async () => {
        const v = await runPolicy(policy, withEnv({ name: "API_TOKEN", value: "abc" }));
        expectViolations(v, [["Deployment m2m-connector/connector: container connector sets API_TOKEN to a literal value", "[checklist item 6:", "valueFrom.secretKeyRef"]]);
    });

    it("reports a credential read from a ConfigMap", async () => {
        const v = await runPolicy(policy, withEnv({ name: "DB_PASSWORD", valueFrom: { configMapKeyRef: { name: "db", key: "password" } } }));
        expectViolations(v, [["container connector reads DB_PASSWORD from ConfigMap db"]]);
    });

    it("reports a literal that looks like a key under an innocent name", async () => {
        const v = await runPolicy(policy, withEnv({ name: "SIGNER", value: `0x${"9f".repeat(32)}` }));
        expectViolations(v, [["container connector env SIGNER holds what looks like a 32-byte hex key"]]);
    });

    it("accepts secret-wrapped values as what they are", async () => {
        const wrapped = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: `0x${"9f".repeat(32)}` };
        const v = await runPolicy(policy, withEnv({ name: "SIGNER", value: wrapped }));
        expectViolations(v, [["env SIGNER holds what looks like a 32-byte hex key"]]);
    });

    it("still reports a credential literal with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(withEnv({ name: "API_TOKEN", value: "abc" })));
        expectViolations(v, [["container connector sets API_TOKEN to a literal value"]]);
    });

    it("treats a value unknown during preview as still a literal for a credential, and leaves an innocent one to the update", async () => {
        expectViolations(await runPolicy(policy, withEnv({ name: "DB_PASSWORD", value: UNKNOWN })), [["container connector sets DB_PASSWORD to a literal value"]]);
        expectViolations(await runPolicy(policy, withEnv({ name: "HEADLESS_DOMAIN", value: UNKNOWN })), []);
        expectViolations(await runPolicy(policy, withEnv({ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: UNKNOWN, key: "password" } } })), []);
    });

    it("reports an env variable whose name, or a credential's valueFrom, is unknown during preview", async () => {
        expectViolations(await runPolicy(policy, withEnv({ name: UNKNOWN, value: "x" })), [["container connector has an env variable whose name is unknown during preview"]]);
        expectViolations(await runPolicy(policy, withEnv({ name: "API_TOKEN", valueFrom: UNKNOWN })), [["container connector API_TOKEN has a valueFrom unknown during preview"]]);
    });

    it("takes a *_FILE variable for the path of a file mounted from a Secret, not a credential, and still checks its value", async () => {
        expectViolations(await runPolicy(policy, withEnv({ name: "POSTGRES_PASSWORD_FILE", value: "/run/credentials/password" }, { name: "TLS_KEY_FILE", value: "/tls/tls.key" })), []);
        expectViolations(await runPolicy(policy, withEnv({ name: "API_TOKEN_FILE", value: `0x${"9f".repeat(32)}` })), [["container connector env API_TOKEN_FILE holds what looks like a 32-byte hex key"]]);
    });
});
