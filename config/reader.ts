// The reader every config key is read through: it tracks the key path of each value and
// collects every problem (`m2m-platform:<key>: <problem>. Fix: <fix>`) instead of stopping
// at the first, so a bad stack fails once, listing them all.
import * as pulumi from "@pulumi/pulumi";
import { ResourceFigures } from "./types";

export type Json = unknown;

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;

/**
 * Every problem in a stack's config. A `RunError`, so the engine prints the list once,
 * without a stack trace: the problems are the user's to fix, not the program's.
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export class Reader {
    readonly problems: string[] = [];
    constructor(private readonly project: string) {}

    key(path: string): string {
        return `${this.project}:${path}`;
    }

    fail(path: string, problem: string, fix: string): undefined {
        this.problems.push(`${this.key(path)}: ${problem}. Fix: ${fix}`);
        return undefined;
    }

    object(path: string, value: Json, fields?: readonly string[]): Record<string, Json> {
        if (value === undefined || value === null) {
            return {};
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.fail(path, `expected an object, got ${JSON.stringify(value)}`, `set ${path} to a YAML mapping`);
            return {};
        }
        const obj = value as Record<string, Json>;
        if (fields) {
            for (const field of Object.keys(obj)) {
                if (!fields.includes(field)) {
                    this.fail(`${path}.${field}`, "unknown field", `remove it or use one of: ${fields.join(", ")}`);
                }
            }
        }
        return obj;
    }

    string(path: string, value: Json, def?: string): string | undefined {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        if (typeof value === "number" || typeof value === "boolean") {
            return String(value);
        }
        if (typeof value !== "string") {
            return this.fail(path, `expected a string, got ${JSON.stringify(value)}`, `set ${path} to a string`);
        }
        return value;
    }

    requiredString(path: string, value: Json, fix: string): string {
        const s = this.string(path, value);
        if (s === undefined) {
            this.fail(path, "is required", fix);
            return "";
        }
        return s;
    }

    oneOf<T extends string>(path: string, value: Json, allowed: readonly T[], def: T): T {
        const s = this.string(path, value, def);
        if (s === undefined || !(allowed as readonly string[]).includes(s)) {
            this.fail(path, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`, `set ${path} to one of ${allowed.join(", ")}`);
            return def;
        }
        return s as T;
    }

    int(path: string, value: Json, def: number, bounds: { min?: number; max?: number } = {}): number {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        const n = typeof value === "string" && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) {
            this.fail(path, `expected a whole number, got ${JSON.stringify(value)}`, `set ${path} to a whole number`);
            return def;
        }
        if (bounds.min !== undefined && n < bounds.min) {
            this.fail(path, `must be at least ${bounds.min}, got ${n}`, `set ${path} to ${bounds.min} or more`);
        }
        if (bounds.max !== undefined && n > bounds.max) {
            this.fail(path, `must be at most ${bounds.max}, got ${n}`, `set ${path} to ${bounds.max} or less`);
        }
        return n;
    }

    number(path: string, value: Json, def: number, bounds: { min?: number; max?: number } = {}): number {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        const n = typeof value === "string" ? Number(value) : value;
        if (typeof n !== "number" || Number.isNaN(n)) {
            this.fail(path, `expected a number, got ${JSON.stringify(value)}`, `set ${path} to a number`);
            return def;
        }
        if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) {
            this.fail(path, `must be between ${bounds.min} and ${bounds.max}, got ${n}`, `set ${path} within that range`);
        }
        return n;
    }

    bool(path: string, value: Json, def: boolean): boolean {
        if (value === undefined || value === null || value === "") {
            return def;
        }
        if (typeof value === "boolean") {
            return value;
        }
        if (value === "true" || value === "false") {
            return value === "true";
        }
        this.fail(path, `expected true or false, got ${JSON.stringify(value)}`, `set ${path} to true or false`);
        return def;
    }

    quantity(path: string, value: Json, def: string): string {
        const s = this.string(path, value, def) ?? def;
        if (!QUANTITY.test(s)) {
            this.fail(path, `is not a Kubernetes quantity: ${JSON.stringify(s)}`, `use a quantity such as 500m, 1, 512Mi or 10Gi`);
        }
        return s;
    }

    resources(path: string, value: Json, def: ResourceFigures): ResourceFigures {
        const obj = this.object(path, value, ["requests", "limits"]);
        const req = this.object(`${path}.requests`, obj.requests, ["cpu", "memory"]);
        const lim = this.object(`${path}.limits`, obj.limits, ["cpu", "memory"]);
        const figures = {
            requests: {
                cpu: this.quantity(`${path}.requests.cpu`, req.cpu, def.requests.cpu),
                memory: this.quantity(`${path}.requests.memory`, req.memory, def.requests.memory),
            },
            limits: {
                cpu: this.quantity(`${path}.limits.cpu`, lim.cpu, def.limits.cpu),
                memory: this.quantity(`${path}.limits.memory`, lim.memory, def.limits.memory),
            },
        };
        for (const r of ["cpu", "memory"] as const) {
            const request = parseQuantity(figures.requests[r]);
            const limit = parseQuantity(figures.limits[r]);
            if (request !== undefined && limit !== undefined && limit < request) {
                this.fail(
                    `${path}.limits.${r}`,
                    `limit ${figures.limits[r]} is below the request ${figures.requests[r]}`,
                    `raise ${path}.limits.${r} to at least ${figures.requests[r]}`,
                );
            }
        }
        return figures;
    }
}

/** Parses a Kubernetes quantity to a plain number (cores or bytes), for comparisons. */
export function parseQuantity(q: string): number | undefined {
    const m = QUANTITY.exec(q);
    if (!m) {
        return undefined;
    }
    const scale: Record<string, number> = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
    };
    return Number(m[1]) * scale[m[3] ?? ""];
}

const CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$|^[0-9a-fA-F:]+\/(?:12[0-8]|1[01]\d|[1-9]?\d)$/;

/** The CIDRs an external database lives in (undefined when not given). */
export function cidrList(r: Reader, path: string, value: Json): string[] | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (!Array.isArray(value) || value.length === 0) {
        r.fail(path, `expected a non-empty list of CIDRs, got ${JSON.stringify(value)}`, `set ${path} to the database's addresses, e.g. [10.20.0.0/24] for a private managed instance, or remove it for any public address`);
        return undefined;
    }
    return value.map((c, i) => {
        if (typeof c !== "string" || !CIDR.test(c)) {
            r.fail(`${path}[${i}]`, `${JSON.stringify(c)} is not a CIDR`, "write it as address/prefix, e.g. 10.20.0.0/24 or 2001:db8::/48");
        }
        return String(c);
    });
}

/** A namespace name (a DNS-1123 label), reported under `path` when it is not one. */
export function namespaceName(r: Reader, path: string, name: string): string {
    if (!DNS_LABEL.test(name) || name.length > 63) {
        r.fail(path, `namespace ${JSON.stringify(name)} is not a DNS-1123 label`, `set ${path} to lowercase letters, digits and '-' (at most 63 characters)`);
    }
    return name;
}

/** An object name such as a StorageClass's (a DNS-1123 subdomain), or undefined. */
export function dnsSubdomain(r: Reader, path: string, name: string | undefined): string | undefined {
    if (name !== undefined && (name.length > 253 || !name.split(".").every((part) => DNS_LABEL.test(part)))) {
        r.fail(path, `${JSON.stringify(name)} is not a valid Kubernetes object name (a DNS-1123 subdomain)`, `set ${path} to lowercase letters, digits, '-' and '.' (at most 253 characters), or remove it for the cluster default`);
    }
    return name;
}
