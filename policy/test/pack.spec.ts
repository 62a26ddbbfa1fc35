// The pack as a whole: its layout (one policy per file, named after it), the config files a
// user passes, the README table, and a compliant miniature platform that passes everything.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { compliantStack } from "./fixtures";
import { PackConfig, effectiveConfig, loadConfig, policies, runPack, show } from "./run";

const POLICY_DIR = path.resolve(__dirname, "..");

/** A small JSON-schema check of the subset the pack's schemas use. */
function schemaErrors(schema: any, value: unknown, at: string): string[] {
    if (schema === undefined || schema === true) {
        return [];
    }
    const errors: string[] = [];
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
    if (types.length > 0 && !types.includes(actual) && !(actual === "integer" && types.includes("number"))) {
        return [`${at}: expected ${types.join("|")}, got ${actual}`];
    }
    if (schema.enum && !schema.enum.includes(value)) {
        errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
    }
    if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
        errors.push(`${at}: below minimum ${schema.minimum}`);
    }
    if (Array.isArray(value) && schema.items) {
        value.forEach((v, i) => errors.push(...schemaErrors(schema.items, v, `${at}[${i}]`)));
    }
    if (actual === "object" && value) {
        for (const req of schema.required ?? []) {
            if (!(req in (value as object))) {
                errors.push(`${at}: missing ${req}`);
            }
        }
        for (const [k, v] of Object.entries(value as object)) {
            errors.push(...schemaErrors(schema.properties?.[k], v, `${at}.${k}`));
        }
    }
    return errors;
}

describe("policy pack", () => {
    it("has one policy per file under policy/policies, each file named after its kebab-case policy", () => {
        const files = fs
            .readdirSync(path.join(POLICY_DIR, "policies"))
            .filter((f) => f.endsWith(".ts") && f !== "index.ts")
            .map((f) => f.replace(/\.ts$/, ""))
            .sort();
        assert.deepStrictEqual(policies.map((p) => p.name).sort(), files);
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
            assert.strictEqual(p.enforcementLevel, "mandatory", `${p.name} defaults to mandatory`);
            const source = fs.readFileSync(path.join(POLICY_DIR, "policies", `${p.name}.ts`), "utf8");
            assert.strictEqual((source.match(/export const \w+: (Resource|Stack)ValidationPolicy/g) ?? []).length, 1, `${p.name}.ts defines one policy`);
            assert.ok(source.includes(`name: "${p.name}",`), `${p.name}.ts defines ${p.name}`);
        }
    });

    it("has a spec per policy", () => {
        for (const p of policies) {
            assert.ok(fs.existsSync(path.join(__dirname, `${p.name}.spec.ts`)), `policy/test/${p.name}.spec.ts`);
        }
    });

    for (const file of ["prod", "dev"] as const) {
        it(`policy/config/${file}.json names only known policies and validates against their schemas`, () => {
            const config = loadConfig(file);
            for (const [key, entry] of Object.entries(config)) {
                if (key === "all") {
                    assert.ok(typeof entry === "string" || typeof entry?.enforcementLevel === "string");
                    continue;
                }
                const policy = policies.find((p) => p.name === key);
                assert.ok(policy, `${file}.json: unknown policy ${key}`);
                const { props } = effectiveConfig(policy, config as PackConfig);
                const errors = schemaErrors({ type: "object", ...policy.configSchema, properties: policy.configSchema?.properties ?? {} }, props, key);
                assert.deepStrictEqual(errors, []);
                if (typeof entry === "object") {
                    for (const k of Object.keys(entry).filter((k) => k !== "enforcementLevel")) {
                        assert.ok(policy.configSchema?.properties[k], `${file}.json: ${key}.${k} is not in the policy's configSchema`);
                    }
                }
            }
        });
    }

    it("makes every policy mandatory under prod.json and advisory under dev.json", () => {
        for (const p of policies) {
            assert.strictEqual(effectiveConfig(p, loadConfig("prod")).level, "mandatory", p.name);
            assert.strictEqual(effectiveConfig(p, loadConfig("dev")).level, "advisory", p.name);
        }
    });

    it("lets a per-policy enforcement level override `all`", () => {
        const p = policies[0];
        assert.strictEqual(effectiveConfig(p, { all: "advisory", [p.name]: { enforcementLevel: "mandatory" } }).level, "mandatory");
        assert.strictEqual(effectiveConfig(p, { all: "mandatory", [p.name]: "disabled" }).level, "disabled");
    });

    it("gives every configurable property a default", () => {
        for (const p of policies) {
            for (const [k, v] of Object.entries(p.configSchema?.properties ?? {})) {
                assert.ok(typeof v === "object" && "default" in v, `${p.name}.${k} has a default`);
            }
        }
    });

    it("maps every policy in the README table", () => {
        const readme = fs.readFileSync(path.join(POLICY_DIR, "README.md"), "utf8");
        for (const p of policies) {
            assert.ok(readme.includes(`\`${p.name}\``), `README lists ${p.name}`);
        }
    });

    it("passes a compliant miniature platform with no violation", async () => {
        const violations = await runPack(compliantStack(), loadConfig("prod"));
        assert.deepStrictEqual(violations, [], show(violations));
    });
});
