// Field kinds the tiers share: Kubernetes quantities and resource figures, images (a
// pinned reference or a build), HPA bounds and log levels.
import { Context, Default, Field, Fields, Group, Section, field, group, int, oneOf, pick } from "./schema";
import { parseCron, longestGapSeconds } from "./cron";
import { Json } from "./reader";
import { HpaConfig, ImageSpec, ResourceFigures } from "./types";

/** Requests and limits, as `fig("250m", "1Gi", "1", "1Gi")` (cpu, memory → cpu, memory). */
export const fig = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceFigures => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export function logLevel(): Field<string> {
    return oneOf({ values: LOG_LEVELS, default: "info" });
}

/** A Kubernetes quantity (`500m`, `10Gi`). */
export function quantity(opts: { default: Default<string>; note?: string }): Field<string> {
    return field({ default: opts.default, note: opts.note, read: (ctx, path, value) => ctx.r.quantity(path, value, pick(opts.default, ctx.environment)) });
}

const BYTE_SIZE = /^[0-9]+(KiB|MiB|GiB)$/;

/** A size in KiB, MiB or GiB, as TigerBeetle's flags take it. */
export function byteSize(opts: { default: Default<string>; note?: string }): Field<string> {
    return field({
        default: opts.default,
        note: opts.note,
        read: (ctx, path, value) => {
            const def = pick(opts.default, ctx.environment);
            const s = ctx.r.string(path, value, def) ?? def;
            if (!BYTE_SIZE.test(s)) {
                ctx.r.fail(path, `is not a size such as 256MiB or 1GiB: ${JSON.stringify(s)}`, "use KiB, MiB or GiB");
            }
            return s;
        },
    });
}

/** `{requests: {cpu, memory}, limits: {cpu, memory}}`, each field defaulting on its own. */
export function resources(def: Default<ResourceFigures>): Field<ResourceFigures> {
    return field({ default: def, scalar: false, read: (ctx, path, value) => ctx.r.resources(path, value, pick(def, ctx.environment)) });
}

// ---------------------------------------------------------------------------------------
// Images

const MALFORMED_DIGEST = "has a malformed digest (expected @sha256: and 64 lowercase hex digits)";

/** Whether an image reference is pinned: a digest, or a tag other than `latest`. */
export function imagePinProblem(ref: string): string | undefined {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) {
        return undefined;
    }
    if (ref.includes("@")) {
        // The policy pack's images-are-pinned reads a digest the same way.
        return MALFORMED_DIGEST;
    }
    const last = ref.split("/").pop() ?? "";
    if (!last.includes(":")) {
        return "has no tag";
    }
    if (last.endsWith(":latest")) {
        return "uses the mutable tag `latest`";
    }
    return undefined;
}

const BUILD_FIELDS = ["context", "dockerfile", "target", "args", "repository", "tag"];

/**
 * An image: a reference (pinned in prod; never a malformed digest) or a build
 * `{context, dockerfile?, target?, args?, repository?, tag?}` pushed to the registry as
 * `<registry>/<repo>` unless `repository` says otherwise. Required unless it has a default.
 */
export function image(opts: { repo: string; default?: string }): Field<ImageSpec> {
    return field({
        default: opts.default,
        unset: opts.default === undefined ? "required" : undefined,
        scalar: false,
        read: (ctx, path, value) => readImage(ctx, path, value, opts.repo, opts.default),
    });
}

/** An image that may stay unset (`unset` says what is used then); read only when given. */
export function optionalImage(opts: { repo: string; unset: string }): Field<ImageSpec | undefined> {
    return field({ unset: opts.unset, scalar: false, read: (ctx, path, value) => (value === undefined ? undefined : readImage(ctx, path, value, opts.repo)) });
}

function readImage(ctx: Context, path: string, value: Json, repoName: string, def?: string): ImageSpec {
    const { r } = ctx;
    if (value === undefined || value === null || value === "") {
        if (def === undefined) {
            r.fail(path, "is required", `set ${path} to a prebuilt reference (registry/name:tag) or to {context, dockerfile} to build it`);
            return { kind: "prebuilt", ref: "" };
        }
        value = def;
    }
    if (typeof value === "string") {
        const problem = imagePinProblem(value);
        if (problem && (ctx.prod || problem === MALFORMED_DIGEST)) {
            r.fail(path, `image ${value} ${problem}`, `pin ${path} to an explicit version tag or an @sha256 digest`);
        }
        return { kind: "prebuilt", ref: value };
    }
    const b = r.object(path, value, BUILD_FIELDS);
    const context = r.requiredString(`${path}.context`, b.context, `set ${path}.context to the build context directory`);
    if (!ctx.registry && b.repository === undefined) {
        r.fail(path, "is a build but no registry is configured", "set registry.server (and registryPassword as a secret) or give a prebuilt reference");
    }
    const tag = r.string(`${path}.tag`, b.tag, ctx.stack) ?? ctx.stack;
    if (tag === "latest") {
        r.fail(`${path}.tag`, "`latest` is not a release tag", `set ${path}.tag to a version`);
    }
    const args = r.object(`${path}.args`, b.args);
    return {
        kind: "build",
        context,
        dockerfile: r.string(`${path}.dockerfile`, b.dockerfile),
        target: r.string(`${path}.target`, b.target),
        args: Object.fromEntries(Object.entries(args).map(([k, val]) => [k, String(val)])),
        repository: r.string(`${path}.repository`, b.repository) ?? `${ctx.registry?.server ?? "registry.invalid"}/${repoName}`,
        tag,
    };
}

// ---------------------------------------------------------------------------------------
// HPA bounds

type HpaFields = {
    minReplicas: Field<number>;
    maxReplicas: Field<number>;
    cpuUtilization: Field<number>;
    memoryUtilization: Field<number>;
};

/** An HPA's bounds and utilization targets (percent), plus any `extra` fields of the tier's own. */
export function hpa<E extends Fields = {}>(def: HpaConfig, extra?: E): Group<HpaFields & E> {
    const utilization = (d: number) => int({ default: d, min: 1, max: 100 });
    return group(
        {
            minReplicas: int({ default: def.minReplicas, min: 1 }),
            maxReplicas: int({ default: def.maxReplicas, min: 1, note: "not below minReplicas" }),
            cpuUtilization: utilization(def.cpuUtilization),
            memoryUtilization: utilization(def.memoryUtilization),
            ...(extra ?? ({} as E)),
        } as HpaFields & E,
        { inline: true },
    );
}

/** Reads the HPA bounds of a `hpa()` group; maxReplicas may not be below minReplicas. */
export function readHpa(s: Section<HpaFields>): HpaConfig {
    const minReplicas = s.read("minReplicas");
    const maxReplicas = s.read("maxReplicas");
    if (maxReplicas < minReplicas) {
        s.ctx.r.fail(
            `${s.path}.maxReplicas`,
            `maxReplicas (${maxReplicas}) is below minReplicas (${minReplicas})`,
            `set ${s.path}.maxReplicas to at least ${minReplicas}, or lower minReplicas`,
        );
    }
    return { minReplicas, maxReplicas, cpuUtilization: s.read("cpuUtilization"), memoryUtilization: s.read("memoryUtilization") };
}

// ---------------------------------------------------------------------------------------
// Schedules

/** A cron schedule (5 fields or a macro such as @daily) that runs at least once a year. */
export function cronSchedule(opts: { default: Default<string>; note?: string }): Field<string> {
    return field({
        default: opts.default,
        note: opts.note ?? "cron, 5 fields (UTC)",
        read: (ctx, path, value) => {
            const def = pick(opts.default, ctx.environment);
            const s = ctx.r.string(path, value, def) ?? def;
            const cron = parseCron(s);
            if (typeof cron === "string") {
                ctx.r.fail(path, `${JSON.stringify(s)} is not a cron schedule: ${cron}`, `set ${path} to a schedule such as "0 2 * * *" (daily at 02:00 UTC)`);
            } else if (longestGapSeconds(cron) === undefined) {
                ctx.r.fail(path, `${JSON.stringify(s)} never runs`, `set ${path} to a schedule that matches a real date, such as "0 2 * * *"`);
            }
            return s;
        },
    });
}
