import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("cap-keys-only-in-secrets");
const KEY = Buffer.alloc(32, 3).toString("base64");

describe("cap-keys-only-in-secrets", () => {
    it("passes keys in agentstate-cap-keys read with secretKeyRef and ids in the ConfigMap", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a capability key in a ConfigMap", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.CAP_KEY_NEXT = KEY));
        expectViolations(await runPolicy(policy, r), [["ConfigMap agentstate/agentstate-config: holds the capability key CAP_KEY_NEXT", "[checklist item 6:"]]);
    });

    it("reports a capability key as a literal env value and from a ConfigMap", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => {
            firstContainer(p).env = [
                { name: "CAP_KEY_ACTIVE", value: KEY },
                { name: "CAP_KEY_NEXT", valueFrom: { configMapKeyRef: { name: "agentstate-config", key: "CAP_KEY_NEXT" } } },
            ];
        });
        expectViolations(await runPolicy(policy, r), [
            ["StatefulSet agentstate/agentstate: container agentstate sets capability key CAP_KEY_ACTIVE to a literal value"],
            ["container agentstate reads capability key CAP_KEY_NEXT from ConfigMap agentstate-config"],
        ]);
    });

    it("reports the guide's sample key and a short key in the Secret", async () => {
        const r = mutate(compliantStack(), named(T.secret, "agentstate-cap-keys"), (p) => {
            p.stringData.CAP_KEY_ACTIVE = "dGhpc2lzYXNhbXBsZWtleWZvcmRlbW9zdHJhdGlvbnB1cnBvc2Vz";
            p.stringData.CAP_KEY_NEXT = Buffer.alloc(16, 1).toString("base64");
        });
        expectViolations(await runPolicy(policy, r), [
            ["Secret agentstate/agentstate-cap-keys: CAP_KEY_ACTIVE is the sample key printed in the AgentState guide"],
            ["CAP_KEY_NEXT is 16 bytes, shorter than 32"],
        ]);
    });

    it("reads base64 data and secret-wrapped stringData", async () => {
        const r = mutate(compliantStack(), named(T.secret, "agentstate-cap-keys"), (p) => {
            p.stringData = { CAP_KEY_ACTIVE: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "short" } };
            p.data = { CAP_KEY_NEXT: Buffer.from(Buffer.alloc(8, 2).toString("base64")).toString("base64") };
        });
        expectViolations(await runPolicy(policy, r), [["CAP_KEY_ACTIVE is 3 bytes"], ["CAP_KEY_NEXT is 8 bytes"]]);
    });

    it("never treats the key ids as keys", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => firstContainer(p).env.push({ name: "CAP_KEY_ACTIVE_ID", value: "prod-2026-11" }));
        expectViolations(await runPolicy(policy, r), []);
    });

    it("still reports a capability key in a ConfigMap, even one whose value is unknown, with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.configMap, "agentstate-config"), (p) => (p.data.CAP_KEY_NEXT = UNKNOWN));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["ConfigMap agentstate/agentstate-config: holds the capability key CAP_KEY_NEXT"]]);
    });

    it("passes Secret data unknown during preview (it is in a Secret; length and sample key are judged by the update)", async () => {
        expectViolations(await runPolicy(policy, withPreviewUnknowns(compliantStack())), []);
        const one = mutate(compliantStack(), named(T.secret, "agentstate-cap-keys"), (p) => {
            p.stringData.CAP_KEY_ACTIVE = UNKNOWN;
            p.stringData.CAP_KEY_NEXT = Buffer.alloc(16, 1).toString("base64");
        });
        expectViolations(await runPolicy(policy, one), [["CAP_KEY_NEXT is 16 bytes, shorter than 32"]]);
    });

    it("reports a capability key env value unknown during preview: still a literal", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "agentstate"), (p) => (firstContainer(p).env = [{ name: "CAP_KEY_ACTIVE", value: UNKNOWN }]));
        expectViolations(await runPolicy(policy, r), [["container agentstate sets capability key CAP_KEY_ACTIVE to a literal value"]]);
    });
});
