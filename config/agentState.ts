// AgentState's key: the server, its CAP key ids and its TLS.
import { fig, image, quantity, resources } from "./kinds";
import { DNS_LABEL } from "./reader";
import { Context, Default, FieldsOf, Section, declare, field, group, int, oneOf, optionalStr, pick, requiredStr, section, str } from "./schema";
import { AgentStateConfig } from "./types";

/** A CAP key id: it names the key's resource, so a rotation is a config change. */
const keyId = (def: Default<string>) =>
    field({
        default: def,
        read: (ctx, path, value) => {
            const id = ctx.r.string(path, value, pick(def, ctx.environment)) ?? "";
            if (!DNS_LABEL.test(id) || id.length > 40) {
                ctx.r.fail(path, `${JSON.stringify(id)} is not a key id (lowercase letters, digits and -, at most 40)`, "use an id such as prod-2026-11");
            }
            return id;
        },
    });

export const AGENT_STATE = declare(
    "agentState",
    "The AgentState server and its CAP keys",
    group({
        image: image({ repo: "agentstate-server" }),
        region: str({ default: "us-west-2" }),
        storage: quantity({ default: "10Gi" }),
        capKeys: group({
            activeId: keyId({ dev: "dev-active", prod: "prod-active" }),
            nextId: keyId({ dev: "dev-next", prod: "prod-next" }),
        }),
        watchBufferSize: int({ default: 10000, min: 1 }),
        watchBufferBytes: int({ default: 10485760, min: 1024 }),
        tls: group({
            mode: oneOf({ values: ["none", "secret", "certManager"] as const, default: "none" }),
            secretName: requiredStr({ unset: "required with `secret`", fix: "name the kubernetes.io/tls Secret", note: "a kubernetes.io/tls Secret" }),
            issuer: optionalStr({ unset: "a CA of AgentState's own", note: "with `certManager`: an in-cluster ClusterIssuer" }),
        }),
        resources: resources({ dev: fig("100m", "128Mi", "500m", "512Mi"), prod: fig("250m", "256Mi", "1000m", "1Gi") }),
    }),
);

export const AGENT_STATE_KEYS = [AGENT_STATE];

export function readAgentState(ctx: Context, namespace: string): AgentStateConfig {
    const s = section(ctx, AGENT_STATE);
    return {
        namespace,
        image: s.read("image"),
        region: s.read("region"),
        storage: s.read("storage"),
        capKeys: readCapKeys(s.section("capKeys")),
        watchBufferSize: s.read("watchBufferSize"),
        watchBufferBytes: s.read("watchBufferBytes"),
        tls: readTls(s.section("tls")),
        resources: s.read("resources"),
    };
}

type Sub<K extends keyof typeof AGENT_STATE.value.fields> = Section<FieldsOf<(typeof AGENT_STATE.value.fields)[K]>>;

/** The active and the next key ids: two different ids. */
function readCapKeys(caps: Sub<"capKeys">): AgentStateConfig["capKeys"] {
    const activeId = caps.read("activeId");
    const nextId = caps.read("nextId");
    if (activeId === nextId) {
        caps.ctx.r.fail(`${caps.path}.nextId`, `equals activeId (${activeId})`, "give the next key its own id, e.g. the next rotation period");
    }
    return { activeId, nextId };
}

function readTls(tls: Sub<"tls">): AgentStateConfig["tls"] {
    const mode = tls.read("mode");
    return mode === "secret" ? { mode, secretName: tls.read("secretName") } : mode === "certManager" ? { mode, issuer: tls.read("issuer") } : { mode: "none" };
}
