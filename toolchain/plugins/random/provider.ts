/**
 * Offline stand-in for the `random` resource provider plugin (NOT the upstream
 * pulumi-random provider). It implements exactly the three resources this program uses,
 * with the tokens, inputs, defaults, outputs, secret outputs and replace-on-change
 * behaviour of `@pulumi/random` 4.21.2. See toolchain/plugins/README.md.
 */
import * as crypto from "crypto";
import type { CheckFailure, CheckResult, CreateResult, DiffResult, Provider, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** The version this stand-in reports: the upstream SDK version, marked as a stand-in build. */
export const STANDIN_VERSION = "4.21.2+offline.stand-in";

export const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const RANDOM_ID = "random:index/randomId:RandomId";

/** Upstream's default special characters. */
export const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";

// Wire values (secrets, unknowns): ../wire.ts; re-exported for the specs.
import { hasUnknown, isSecret, plain, secret } from "../wire";
export { hasUnknown, isSecret, plain, secret };

/** Absent, null and (for maps) empty all mean "not set". */
function normalise(v: unknown): unknown {
    const p = plain(v);
    if (p === undefined || p === null) return undefined;
    if (typeof p === "object" && !Array.isArray(p) && Object.keys(p as object).length === 0) return undefined;
    return p;
}

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(normalise(a))) === JSON.stringify(sortKeys(normalise(b)));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (typeof v === "object" && v !== null) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
        return out;
    }
    return v;
}

/** Drops undefined entries: the wire format (protobuf Struct) has no undefined. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out;
}

// ---- the resources -------------------------------------------------------------------

interface ResourceKind {
    /** Every input; in upstream each of them forces replacement. */
    inputs: string[];
    check(news: Record<string, unknown>, failures: CheckFailure[]): Record<string, unknown>;
    create(inputs: Record<string, unknown>): { id: string; outs: Record<string, unknown> };
}

function typeOf(urn: string): string {
    // urn:pulumi:<stack>::<project>::<qualified type>::<name>; the last type is ours.
    const parts = urn.split("::");
    const qualified = parts.length >= 3 ? parts[2] : "";
    return qualified.split("$").pop() ?? "";
}

function checkInt(news: Record<string, unknown>, key: string, min: number, failures: CheckFailure[], required: boolean): void {
    const raw = news[key];
    if (raw === undefined || raw === null) {
        if (required) failures.push({ property: key, reason: `${key} is required (an integer of at least ${min})` });
        return;
    }
    if (hasUnknown(raw)) return;
    const v = plain(raw);
    if (typeof v !== "number" || !Number.isInteger(v)) {
        failures.push({ property: key, reason: `${key} must be an integer, got ${JSON.stringify(v)}` });
    } else if (v < min) {
        failures.push({ property: key, reason: `${key} must be at least ${min}, got ${v}` });
    }
}

function checkBool(news: Record<string, unknown>, key: string, failures: CheckFailure[]): void {
    const raw = news[key];
    if (raw === undefined || raw === null || hasUnknown(raw)) return;
    if (typeof plain(raw) !== "boolean") failures.push({ property: key, reason: `${key} must be a boolean, got ${JSON.stringify(plain(raw))}` });
}

function checkString(news: Record<string, unknown>, key: string, failures: CheckFailure[]): void {
    const raw = news[key];
    if (raw === undefined || raw === null || hasUnknown(raw)) return;
    if (typeof plain(raw) !== "string") failures.push({ property: key, reason: `${key} must be a string, got ${JSON.stringify(plain(raw))}` });
}

function checkKeepers(news: Record<string, unknown>, failures: CheckFailure[]): void {
    const raw = news.keepers;
    if (raw === undefined || raw === null || raw === unknownValue) return;
    const v = isSecret(raw) ? raw.value : raw;
    if (v === unknownValue) return;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        failures.push({ property: "keepers", reason: "keepers must be a map of strings" });
        return;
    }
    for (const [k, e] of Object.entries(v)) {
        if (hasUnknown(e) || e === null) continue;
        if (typeof plain(e) !== "string") failures.push({ property: `keepers.${k}`, reason: `keepers.${k} must be a string, got ${JSON.stringify(plain(e))}` });
    }
}

function unknownKeys(news: Record<string, unknown>, allowed: string[], failures: CheckFailure[]): void {
    for (const k of Object.keys(news)) {
        if (!allowed.includes(k)) failures.push({ property: k, reason: `unknown input ${k}; expected one of ${allowed.join(", ")}` });
    }
}

function num(v: unknown): number {
    return plain(v) as number;
}

function bool(v: unknown, dflt: boolean): boolean {
    const p = plain(v);
    return typeof p === "boolean" ? p : dflt;
}

const randomBytes: ResourceKind = {
    inputs: ["keepers", "length"],
    check(news, failures) {
        unknownKeys(news, this.inputs, failures);
        checkInt(news, "length", 1, failures, true);
        checkKeepers(news, failures);
        return news;
    },
    create(inputs) {
        const bytes = crypto.randomBytes(num(inputs.length));
        return {
            id: "none",
            outs: defined({
                keepers: inputs.keepers,
                length: inputs.length,
                base64: secret(bytes.toString("base64")),
                hex: secret(bytes.toString("hex")),
            }),
        };
    },
};

const randomId: ResourceKind = {
    inputs: ["byteLength", "keepers", "prefix"],
    check(news, failures) {
        unknownKeys(news, this.inputs, failures);
        checkInt(news, "byteLength", 1, failures, true);
        checkKeepers(news, failures);
        checkString(news, "prefix", failures);
        return news;
    },
    create(inputs) {
        const bytes = crypto.randomBytes(num(inputs.byteLength));
        const prefix = (plain(inputs.prefix) as string | undefined) ?? "";
        const id = bytes.toString("base64url");
        // Sensitivity of the prefix carries over to every output that includes it.
        const wrap = (s: string): unknown => (isSecret(inputs.prefix) ? secret(s) : s);
        return {
            id,
            outs: defined({
                byteLength: inputs.byteLength,
                keepers: inputs.keepers,
                prefix: inputs.prefix,
                b64Url: wrap(prefix + id),
                b64Std: wrap(prefix + bytes.toString("base64")),
                hex: wrap(prefix + bytes.toString("hex")),
                dec: wrap(prefix + BigInt("0x" + (bytes.toString("hex") || "0")).toString(10)),
            }),
        };
    },
};

export interface PasswordParams {
    length: number;
    upper: boolean;
    lower: boolean;
    numeric: boolean;
    special: boolean;
    minUpper: number;
    minLower: number;
    minNumeric: number;
    minSpecial: number;
    overrideSpecial?: string;
}

/**
 * Upstream's algorithm: the minimum counts are drawn from their classes, the rest from the
 * union of the enabled classes, then the whole is shuffled. Uniform draws from `crypto`.
 */
export function generatePassword(p: PasswordParams): string {
    const specials = p.overrideSpecial ? p.overrideSpecial : DEFAULT_SPECIAL;
    const pool = (p.upper ? UPPER : "") + (p.lower ? LOWER : "") + (p.numeric ? NUMERIC : "") + (p.special ? specials : "");
    const draw = (set: string, n: number): string[] => Array.from({ length: n }, () => set[crypto.randomInt(set.length)]);
    const chars = [
        ...draw(NUMERIC, p.minNumeric),
        ...draw(LOWER, p.minLower),
        ...draw(UPPER, p.minUpper),
        ...draw(specials, p.minSpecial),
    ];
    const rest = p.length - chars.length;
    if (rest > 0) {
        if (pool.length === 0) throw new Error("no character class is enabled (upper, lower, numeric, special are all false)");
        chars.push(...draw(pool, rest));
    }
    for (let i = chars.length - 1; i > 0; i--) {
        const j = crypto.randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return chars.join("");
}

const PASSWORD_INPUTS = [
    "keepers",
    "length",
    "lower",
    "minLower",
    "minNumeric",
    "minSpecial",
    "minUpper",
    "number",
    "numeric",
    "overrideSpecial",
    "special",
    "upper",
];

const randomPassword: ResourceKind = {
    inputs: PASSWORD_INPUTS,
    check(news, failures) {
        unknownKeys(news, this.inputs, failures);
        checkInt(news, "length", 1, failures, true);
        for (const k of ["minLower", "minNumeric", "minSpecial", "minUpper"]) checkInt(news, k, 0, failures, false);
        for (const k of ["lower", "upper", "special", "number", "numeric"]) checkBool(news, k, failures);
        checkString(news, "overrideSpecial", failures);
        checkKeepers(news, failures);
        const out: Record<string, unknown> = { ...news };
        // Defaults as upstream: classes on, minimums 0; number and numeric follow each other.
        for (const k of ["lower", "upper", "special"]) if (out[k] === undefined || out[k] === null) out[k] = true;
        for (const k of ["minLower", "minNumeric", "minSpecial", "minUpper"]) if (out[k] === undefined || out[k] === null) out[k] = 0;
        const number = news.number ?? null;
        const numeric = news.numeric ?? null;
        if (number !== null && numeric !== null && !hasUnknown(number) && !hasUnknown(numeric) && plain(number) !== plain(numeric)) {
            failures.push({ property: "numeric", reason: "number and numeric are both set, to different values; set only numeric (number is deprecated)" });
        }
        const both = numeric ?? number ?? true;
        out.number = number ?? both;
        out.numeric = numeric ?? both;
        if (failures.length === 0 && !hasUnknown(out)) {
            const mins = ["minLower", "minNumeric", "minSpecial", "minUpper"].reduce((s, k) => s + num(out[k]), 0);
            if (num(out.length) < mins) {
                failures.push({
                    property: "length",
                    reason: `length (${num(out.length)}) must be at least minUpper + minLower + minNumeric + minSpecial (${mins})`,
                });
            }
            const anyClass = ["lower", "upper", "numeric", "special"].some((k) => bool(out[k], true));
            if (!anyClass && num(out.length) > mins) {
                failures.push({ property: "length", reason: "upper, lower, numeric and special are all false: there is nothing to draw the characters beyond the minimums from" });
            }
        }
        return out;
    },
    create(inputs) {
        const overrideSpecial = plain(inputs.overrideSpecial) as string | undefined;
        const result = generatePassword({
            length: num(inputs.length),
            upper: bool(inputs.upper, true),
            lower: bool(inputs.lower, true),
            numeric: bool(inputs.numeric, bool(inputs.number, true)),
            special: bool(inputs.special, true),
            minUpper: num(inputs.minUpper ?? 0),
            minLower: num(inputs.minLower ?? 0),
            minNumeric: num(inputs.minNumeric ?? 0),
            minSpecial: num(inputs.minSpecial ?? 0),
            overrideSpecial,
        });
        const outs: Record<string, unknown> = {};
        for (const k of PASSWORD_INPUTS) outs[k] = inputs[k];
        // bcryptHash is not produced: no bcrypt implementation is available without new
        // dependencies (Node's crypto has none). See README.md.
        outs.result = secret(result);
        return { id: "none", outs: defined(outs) };
    },
};

const KINDS: Record<string, ResourceKind> = {
    [RANDOM_BYTES]: randomBytes,
    [RANDOM_PASSWORD]: randomPassword,
    [RANDOM_ID]: randomId,
};

function kindOf(urn: string): ResourceKind {
    const t = typeOf(urn);
    const kind = KINDS[t];
    if (!kind) throw new Error(`the offline random stand-in does not implement ${t || urn}; it implements ${Object.keys(KINDS).join(", ")}`);
    return kind;
}

/** Inputs whose values differ between the old state and the new inputs (unknowns always differ). */
export function changedInputs(kind: { inputs: string[] }, olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    for (const k of kind.inputs) {
        if (hasUnknown(news[k])) changed.push(k);
        else if (k === "overrideSpecial" && !normalise(olds[k]) && !normalise(news[k])) continue; // "" and unset are the same
        else if (!sameValue(olds[k], news[k])) changed.push(k);
    }
    return changed;
}

export function createRandomProvider(): Provider {
    return {
        version: STANDIN_VERSION,
        async check(urn: string, _olds: unknown, news: Record<string, unknown>): Promise<CheckResult> {
            const failures: CheckFailure[] = [];
            const inputs = kindOf(urn).check({ ...(news ?? {}) }, failures);
            return { inputs, failures };
        },
        async diff(_id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
            const changed = changedInputs(kindOf(urn), olds ?? {}, news ?? {});
            // Upstream: every input forces replacement (create the new value, then delete the old).
            return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
        },
        async create(urn: string, inputs: Record<string, unknown>): Promise<CreateResult> {
            return kindOf(urn).create(inputs ?? {});
        },
        async read(id: string, _urn: string, props?: Record<string, unknown>): Promise<ReadResult> {
            // Nothing lives outside the state: what was stored is what exists.
            return { id, props: props ?? {} };
        },
        async update(_id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<UpdateResult> {
            // Only reached for changes that replace nothing (none, with the rules above);
            // like upstream, the generated values are kept.
            const kind = kindOf(urn);
            const outs: Record<string, unknown> = { ...olds };
            for (const k of kind.inputs) outs[k] = news[k];
            return { outs: defined(outs) };
        },
        async delete(): Promise<void> {
            // Nothing to tear down outside the state.
        },
    };
}

if (require.main === module) {
    // Imported lazily: loading the gRPC server is only needed when run as a plugin.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { main } = require("@pulumi/pulumi/provider") as typeof import("@pulumi/pulumi/provider");
    main(createRandomProvider(), process.argv.slice(2)).catch((err: unknown) => {
        process.stderr.write(`pulumi-resource-random (offline stand-in): ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
    });
}
