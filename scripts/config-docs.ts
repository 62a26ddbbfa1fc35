// `npm run config:docs`: writes the key list of Pulumi.yaml (its `config:` block and the
// comment naming the optional secrets) and the README's config table (key and default
// columns; the dev and prod columns are kept) from the declarations in config/.
// test/config-declarations.spec.ts reads both files with the same functions and fails
// when they drift.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { DECLARATIONS } from "../config";
import { TableRow, configTableRows, projectConfig, secretKeyLines } from "../config/docs";

export const ROOT = path.resolve(__dirname, "..");

/** Where the generated part of Pulumi.yaml starts: this comment, up to the end of the file. */
const PROJECT_MARKER = "# Every key the program accepts";

const PROJECT_INTRO = [
    `${PROJECT_MARKER}, generated from its declaration in config/ (type, default,`,
    "# documentation and check, once per key) by `npm run config:docs`: edit the declaration,",
    "# not this block. The program validates the whole set before any resource is registered",
    "# and rejects unknown keys; `dev X, prod Y` defaults differ per `environment`.",
    "# The engine treats a declared key without a default as required, so every optional key",
    '# has one: `{}` for an object means "every field at its default" (listed in its',
    "# description). The optional secret keys cannot be declared here (a declared secret",
    "# needs a value in every stack, and a default would be plaintext); config/ declares them:",
];

/** The generated part of Pulumi.yaml. */
export function renderProjectKeys(): string {
    const secrets = secretKeyLines(DECLARATIONS).map((l) => `#   ${l}`);
    const block = yaml.dump({ config: projectConfig(DECLARATIONS) }, { lineWidth: -1, quotingType: '"' });
    return [...PROJECT_INTRO, ...secrets, block].join("\n");
}

export function renderPulumiYaml(current: string): string {
    const at = current.indexOf(PROJECT_MARKER);
    if (at < 0) {
        throw new Error(`Pulumi.yaml: no line starting with "${PROJECT_MARKER}" to generate from`);
    }
    return current.slice(0, at) + renderProjectKeys();
}

export interface ReadmeRow extends TableRow {
    dev: string;
    prod: string;
}

const TABLE_HEADER = "| key | default | dev | prod |";

/** The README's config table: its rows, and the line range they occupy. */
export function readConfigTable(readme: string): { rows: ReadmeRow[]; start: number; end: number } {
    const lines = readme.split("\n");
    const header = lines.indexOf(TABLE_HEADER);
    if (header < 0 || !lines[header + 1]?.startsWith("| ---")) {
        throw new Error(`README.md: no config table (a line "${TABLE_HEADER}" followed by its separator)`);
    }
    const start = header + 2;
    let end = start;
    while (end < lines.length && lines[end].startsWith("|")) {
        end++;
    }
    const rows = lines.slice(start, end).map((line) => {
        const cells = line.slice(1, line.endsWith("|") ? -1 : undefined).split("|").map((c) => c.trim());
        return { key: cells[0] ?? "", default: cells[1] ?? "", dev: cells[2] ?? "", prod: cells[3] ?? "" };
    });
    return { rows, start, end };
}

export function renderReadme(current: string): string {
    const { rows, start, end } = readConfigTable(current);
    const kept = new Map(rows.map((r) => [r.key, r]));
    const table = configTableRows(DECLARATIONS).map((r) => {
        const old = kept.get(r.key);
        return `| ${r.key} | ${r.default} | ${old?.dev ?? ""} | ${old?.prod ?? ""} |`.replace(/ {2,}\|/g, " |");
    });
    const lines = current.split("\n");
    return [...lines.slice(0, start), ...table, ...lines.slice(end)].join("\n");
}

// ---------------------------------------------------------------------------------------
// Drift: what a file says that the declarations do not (the specs assert none)

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const SECRETS = new Set(DECLARATIONS.filter((d) => d.value.kind === "field" && d.value.secret).map((d) => d.key));

/** Where Pulumi.yaml's keys (types, defaults, descriptions, the secrets' comment) differ from the declarations. */
export function projectDrift(text: string): string[] {
    const doc = yaml.load(text) as { config?: Record<string, Record<string, unknown>> };
    const actual = doc.config ?? {};
    const expected = projectConfig(DECLARATIONS) as unknown as Record<string, Record<string, unknown>>;
    const problems: string[] = [];
    for (const key of Object.keys(expected)) {
        if (!(key in actual)) {
            problems.push(`${key}: declared in config/ but missing from Pulumi.yaml's config block`);
            continue;
        }
        for (const attr of ["type", "default", "description"]) {
            if (!same(actual[key][attr], expected[key][attr])) {
                problems.push(`${key}: ${attr} is ${JSON.stringify(actual[key][attr])}, the declaration says ${JSON.stringify(expected[key][attr])}`);
            }
        }
        const extra = Object.keys(actual[key]).filter((a) => !["type", "default", "description"].includes(a));
        if (extra.length) {
            problems.push(`${key}: ${extra.join(", ")} not generated from the declaration`);
        }
    }
    for (const key of Object.keys(actual).filter((k) => !(k in expected))) {
        problems.push(`${key}: in Pulumi.yaml's config block but not declared in config/${SECRETS.has(key) ? " (a secret key: it belongs in the comment)" : ""}`);
    }
    const commented = text.split("\n").filter((l) => /^#\s+\w+: .*\(secret/.test(l)).map((l) => l.replace(/^#\s+/, ""));
    for (const line of secretKeyLines(DECLARATIONS).filter((l) => !commented.includes(l))) {
        problems.push(`secret ${line.split(":")[0]}: Pulumi.yaml's comment does not say "${line}"`);
    }
    for (const line of commented.filter((l) => !secretKeyLines(DECLARATIONS).includes(l))) {
        problems.push(`secret ${line.split(":")[0]}: Pulumi.yaml's comment says "${line}", which no declaration renders`);
    }
    return problems;
}

/** Where the README's config table (keys and defaults) differs from the declarations. */
export function tableDrift(readme: string): string[] {
    const actual = readConfigTable(readme).rows;
    const expected = configTableRows(DECLARATIONS);
    const problems: string[] = [];
    const byKey = new Map(actual.map((r) => [r.key, r]));
    for (const row of expected) {
        const found = byKey.get(row.key);
        if (!found) {
            problems.push(`${row.key}: no row in the README's config table (its default: ${row.default})`);
        } else if (found.default !== row.default) {
            problems.push(`${row.key}: the README's default is "${found.default}", the declaration says "${row.default}"`);
        }
    }
    const keys = new Set(expected.map((r) => r.key));
    for (const row of actual.filter((r) => !keys.has(r.key))) {
        problems.push(`${row.key}: a row in the README's config table for no declared key`);
    }
    if (problems.length === 0 && !same(actual.map((r) => r.key), expected.map((r) => r.key))) {
        problems.push("the README's config table lists the keys in another order than the declarations");
    }
    return problems;
}

if (require.main === module) {
    for (const [file, render] of [
        ["Pulumi.yaml", renderPulumiYaml],
        ["README.md", renderReadme],
    ] as const) {
        const at = path.join(ROOT, file);
        const before = fs.readFileSync(at, "utf8");
        const after = render(before);
        if (after !== before) {
            fs.writeFileSync(at, after);
        }
        console.log(`${file}: ${after === before ? "up to date" : "written"}`);
    }
}
