// Renders the declarations (DECLARATIONS in index.ts) as the two documents that list the
// keys: Pulumi.yaml's `config:` block (with the comment naming the optional secrets) and
// the README's config table. `npm run config:docs` writes both; the specs in
// test/config-declarations.spec.ts fail when either says something else.
import { DocValue, Field, Fields, Group, KeyDecl, isPerEnv } from "./schema";
import { ResourceFigures } from "./types";

/** A key as Pulumi.yaml declares it. */
export interface ProjectKey {
    type: "string" | "object";
    /** Absent only for a required key: the engine refuses a stack without it. */
    default?: string | Record<string, never>;
    description: string;
}

/** A row of the README's config table: the key cell and the default cell. */
export interface TableRow {
    key: string;
    default: string;
}

function isFigures(v: DocValue): v is ResourceFigures {
    return typeof v === "object" && !Array.isArray(v);
}

/** A default as the README shows it: code, or `requests → limits` for resource figures. */
function shown(v: DocValue, code: boolean): string {
    const c = (s: string) => (code ? `\`${s}\`` : s);
    if (isFigures(v)) {
        return `${v.requests.cpu}/${v.requests.memory} → ${v.limits.cpu}/${v.limits.memory}`;
    }
    if (Array.isArray(v)) {
        return c(`[${v.join(", ")}]`);
    }
    return v === "" ? c('""') : c(String(v));
}

function same(a: DocValue, b: DocValue): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** The default alone: per environment where they differ, else the unset text. */
function defaultText(f: Field<unknown>, code: boolean): string {
    const d = f.default;
    if (d === undefined) {
        const values = f.required && f.values ? `: ${f.values.map((v) => shown(v, code)).join(" or ")}` : "";
        return `${f.unset ?? "none"}${values}`;
    }
    if (isPerEnv(d) && !same(d.dev, d.prod)) {
        return `dev ${shown(d.dev, code)}, prod ${shown(d.prod, code)}`;
    }
    return shown(isPerEnv(d) ? d.dev : d, code);
}

/** The README's default cell: the default, the other accepted values and the note. */
function defaultCell(f: Field<unknown>): string {
    const chosen = f.default === undefined || isPerEnv(f.default) ? undefined : f.default;
    const others = f.values && !f.required ? f.values.filter((v) => v !== chosen).map((v) => shown(v, true)) : [];
    const remarks = [others.length ? `or ${others.join(", ")}` : "", f.note ?? ""].filter((s) => s !== "");
    return `${defaultText(f, true)}${remarks.length ? ` (${remarks.join("; ")})` : ""}`;
}

function alikeInBothEnvironments(f: Field<unknown>): boolean {
    return f.default === undefined || !isPerEnv(f.default) || same(f.default.dev, f.default.prod);
}

function inlineRow(path: string, g: Group<Fields>): TableRow {
    const fields = Object.entries(g.fields);
    const cells = fields.map(([name, f]) => {
        if (f.kind !== "field" || !f.scalar || !alikeInBothEnvironments(f)) {
            throw new Error(`${path}.${name}: an inline group holds only scalars alike in dev and prod`);
        }
        return defaultCell(f);
    });
    const cell = cells.every((c) => c === cells[0]) ? cells[0] : cells.join(", ");
    return { key: `\`${path}.{${fields.map(([name]) => name).join(",")}}\``, default: `${cell}${g.note ? ` (${g.note})` : ""}` };
}

function groupRows(path: string, g: Group<Fields>): TableRow[] {
    return Object.entries(g.fields).flatMap(([name, f]) => {
        const at = `${path}.${name}`;
        if (f.kind === "group") {
            return f.inline ? [inlineRow(at, f)] : groupRows(at, f);
        }
        return [{ key: `\`${at}\``, default: defaultCell(f) }];
    });
}

/** The README's config table (key and default columns), one or more rows per key. */
export function configTableRows(decls: readonly KeyDecl[]): TableRow[] {
    return decls.flatMap((d) => {
        if (d.value.kind === "group") {
            return d.value.inline ? [inlineRow(d.key, d.value)] : groupRows(d.key, d.value);
        }
        return [{ key: `\`${d.key}\`${d.value.secret ? " (secret)" : ""}`, default: defaultCell(d.value) }];
    });
}

/** A group's fields for Pulumi.yaml's description: `{name (default), sub: {...}, resources}`. */
function brief(g: Group<Fields>): string {
    const parts = Object.entries(g.fields).map(([name, f]) => {
        if (f.kind === "group") {
            return `${name}: ${brief(f)}`;
        }
        const figures = f.default !== undefined && isFigures(isPerEnv(f.default) ? f.default.dev : f.default);
        return figures ? name : `${name} (${defaultText(f, false)})`;
    });
    return `{${parts.join(", ")}}`;
}

/** Pulumi.yaml's `config:` block: every key but the secrets, each optional key with a default. */
export function projectConfig(decls: readonly KeyDecl[]): Record<string, ProjectKey> {
    const out: Record<string, ProjectKey> = {};
    for (const d of decls) {
        const v = d.value;
        if (v.kind === "group") {
            out[d.key] = { type: "object", default: {}, description: `${d.description}: ${brief(v)}` };
        } else if (!v.secret) {
            const description = `${d.description} (${v.default === undefined ? defaultText(v, false) : `default: ${defaultText(v, false)}`})`;
            out[d.key] = v.required ? { type: "string", description } : { type: "string", default: typeof v.default === "string" ? v.default : "", description };
        }
    }
    return out;
}

/** The optional secret keys, as Pulumi.yaml's comment lists them (`key: description (secret; ...)`). */
export function secretKeyLines(decls: readonly KeyDecl[]): string[] {
    return decls.filter((d) => d.value.kind === "field" && d.value.secret).map((d) => `${d.key}: ${d.description} (secret; ${(d.value as Field<unknown>).unset})`);
}
