// AgentState's key: the server, its CAP key ids, its TLS, its scheduled snapshots through
// the admin API and a restore from one of them.
import { schedulePeriod } from "./cron";
import { cronSchedule, fig, image, imagePinProblem, quantity, resources } from "./kinds";
import { DNS_LABEL, Json } from "./reader";
import { Context, Default, FieldsOf, Section, bool, declare, field, group, int, oneOf, optionalStr, pick, requiredStr, section, str } from "./schema";
import { AgentStateConfig, ImageSpec } from "./types";

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
        snapshots: group({
            enabled: bool({ default: { dev: false, prod: true }, note: "a CronJob POSTing /admin/snapshot" }),
            schedule: cronSchedule({ default: "30 1 * * *", note: "cron, UTC; daily at 01:30" }),
            trimWal: bool({ default: false, note: "then POST /admin/trim-wal up to it" }),
            port: int({ default: 9090, min: 1, max: 65535, note: "serving /admin; 8080 where the server serves it with the API" }),
            image: imageRef({ default: "docker.io/curlimages/curl:8.11.1", note: "needs curl" }),
            successfulJobsHistoryLimit: int({ default: 3, min: 0, max: 100 }),
            failedJobsHistoryLimit: int({ default: 3, min: 0, max: 100 }),
        }),
        restore: group({
            snapshotId: snapshotId(),
            image: optionalImageRef({ unset: "agentstate-cli of the server's registry and tag" }),
        }),
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
        snapshots: readSnapshots(s.section("snapshots")),
        restore: readRestore(s.section("restore"), s.read("image")),
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

function readSnapshots(snap: Sub<"snapshots">): AgentStateConfig["snapshots"] {
    if (!snap.read("enabled")) {
        return undefined;
    }
    return {
        schedule: snap.read("schedule"),
        trimWal: snap.read("trimWal"),
        port: snap.read("port"),
        image: snap.read("image"),
        successfulJobsHistoryLimit: snap.read("successfulJobsHistoryLimit"),
        failedJobsHistoryLimit: snap.read("failedJobsHistoryLimit"),
        periodSeconds: schedulePeriod(snap.read("schedule")),
    };
}

/** The restore when a snapshot is named; its CLI image defaults to agentstate-cli beside the server's. */
function readRestore(restore: Sub<"restore">, server: ImageSpec): AgentStateConfig["restore"] {
    const snapshotId = restore.read("snapshotId");
    if (snapshotId === undefined) {
        return undefined;
    }
    const image = restore.read("image") ?? cliBeside(server);
    if (image === undefined) {
        restore.ctx.r.fail(
            `${restore.path}.image`,
            "is required when the server image is a build (no agentstate-cli reference can be derived from it)",
            `set ${restore.path}.image to the AgentState CLI image, such as ghcr.io/agentstate/agentstate-cli:v0.1.0-rc.1`,
        );
    }
    return { snapshotId, image: image ?? "" };
}

/** `…/agentstate-server:tag` → `…/agentstate-cli:tag`: the CLI of the same release, from the same registry. */
export function cliBeside(server: ImageSpec): string | undefined {
    if (server.kind !== "prebuilt") {
        return undefined;
    }
    // The server's digest is not the CLI's: keep the release tag only.
    const cli = server.ref.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/\/agentstate-server:/, "/agentstate-cli:");
    return cli.includes("/agentstate-cli:") ? cli : undefined;
}

/**
 * A snapshot id as the admin API returns it (`snap-01HQXVGZM8...`): unset means no restore;
 * set, it may not be empty and holds only letters, digits, `.`, `_` and `-`.
 */
function snapshotId() {
    return field<string | undefined>({
        unset: "no restore",
        note: "the snapshot_id a snapshot job logged",
        read: (ctx, path, value) => {
            if (value === undefined || value === null) {
                return undefined;
            }
            const fix = `set ${path} to the snapshot_id a snapshot job printed (kubectl logs job/<agentstate-snapshot-…>), or remove the key`;
            if (typeof value !== "string" || value.trim() === "") {
                ctx.r.fail(path, `is ${typeof value === "string" ? "empty" : `not a string: ${JSON.stringify(value)}`}`, fix);
                return undefined;
            }
            if (!SNAPSHOT_ID.test(value)) {
                ctx.r.fail(path, `${JSON.stringify(value)} is not a snapshot id (letters, digits, '.', '_' and '-', at most 100)`, fix);
                return undefined;
            }
            return value;
        },
    });
}

const SNAPSHOT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A prebuilt image reference: pinned in prod, never a malformed digest. */
function imageRef(opts: { default: string; note: string }) {
    return field<string>({ default: opts.default, note: opts.note, read: (ctx, path, value) => pinned(ctx, path, ctx.r.string(path, value, opts.default) ?? opts.default) });
}

function optionalImageRef(opts: { unset: string }) {
    return field<string | undefined>({
        unset: opts.unset,
        read: (ctx, path, value: Json) => {
            const ref = ctx.r.string(path, value);
            return ref === undefined ? undefined : pinned(ctx, path, ref);
        },
    });
}

function pinned(ctx: Context, path: string, ref: string): string {
    const problem = imagePinProblem(ref);
    if (problem && (ctx.prod || problem.includes("digest"))) {
        ctx.r.fail(path, `image ${ref} ${problem}`, `pin ${path} to an explicit version tag or an @sha256 digest`);
    }
    return ref;
}
