import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import {
    DEFAULT_SPECIAL,
    RANDOM_BYTES,
    RANDOM_ID,
    RANDOM_PASSWORD,
    createRandomProvider,
    isSecret,
    plain,
    secret,
} from "../../toolchain/plugins/random/provider";

const urn = (type: string, name = "r") => `urn:pulumi:dev::m2m-platform::m2m:platform:AgentState$${type}::${name}`;
const provider = createRandomProvider();

async function checked(type: string, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await provider.check!(urn(type), {}, news);
    assert.deepStrictEqual(r.failures, [], `no failures for ${JSON.stringify(news)}`);
    return r.inputs;
}

async function failures(type: string, news: Record<string, unknown>): Promise<string[]> {
    const r = await provider.check!(urn(type), {}, news);
    return (r.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

async function created(type: string, news: Record<string, unknown>) {
    const inputs = await checked(type, news);
    const r = await provider.create!(urn(type), inputs);
    return { inputs, id: r.id, outs: r.outs as Record<string, unknown> };
}

function secretValue(v: unknown): string {
    assert.ok(isSecret(v), `expected a secret, got ${JSON.stringify(v)}`);
    return v.value as string;
}

describe("random stand-in", () => {
    describe("check", () => {
        it("rejects a missing or too small length with the property and the bound", async () => {
            assert.deepStrictEqual(await failures(RANDOM_BYTES, { length: 0 }), ["length: length must be at least 1, got 0"]);
            assert.match((await failures(RANDOM_BYTES, {})).join(), /length: length is required/);
            assert.match((await failures(RANDOM_PASSWORD, { length: -3 })).join(), /length must be at least 1, got -3/);
            assert.match((await failures(RANDOM_ID, { byteLength: 0 })).join(), /byteLength must be at least 1/);
            assert.match((await failures(RANDOM_BYTES, { length: 2.5 })).join(), /length must be an integer/);
        });

        it("rejects a password shorter than its minimums, conflicting number/numeric, and unknown inputs", async () => {
            assert.match((await failures(RANDOM_PASSWORD, { length: 3, minUpper: 2, minNumeric: 2 })).join(), /length \(3\) must be at least .* \(4\)/);
            assert.match((await failures(RANDOM_PASSWORD, { length: 8, number: true, numeric: false })).join(), /number and numeric/);
            assert.match((await failures(RANDOM_BYTES, { length: 4, lenght: 4 })).join(), /unknown input lenght/);
            assert.match((await failures(RANDOM_PASSWORD, { length: 4, upper: false, lower: false, numeric: false, special: false })).join(), /nothing to draw/);
        });

        it("fills the password defaults upstream applies", async () => {
            const inputs = await checked(RANDOM_PASSWORD, { length: 32, special: false });
            assert.deepStrictEqual(inputs, {
                length: 32,
                special: false,
                lower: true,
                upper: true,
                minLower: 0,
                minNumeric: 0,
                minSpecial: 0,
                minUpper: 0,
                number: true,
                numeric: true,
            });
            const legacy = await checked(RANDOM_PASSWORD, { length: 8, number: false });
            assert.strictEqual(legacy.numeric, false, "numeric follows the deprecated number");
        });

        it("skips validation of values still unknown at preview", async () => {
            assert.deepStrictEqual(await failures(RANDOM_BYTES, { length: unknownValue, keepers: unknownValue }), []);
            assert.deepStrictEqual(await failures(RANDOM_PASSWORD, { length: unknownValue, minUpper: 3 }), []);
        });

        it("refuses resource types it does not implement", async () => {
            await assert.rejects(provider.check!(urn("random:index/randomUuid:RandomUuid"), {}, {}), /does not implement random:index\/randomUuid:RandomUuid/);
        });
    });

    describe("RandomBytes", () => {
        it("returns `length` bytes as base64 and hex, both secret, with id none", async () => {
            for (const length of [1, 16, 32, 33]) {
                const { id, outs } = await created(RANDOM_BYTES, { length, keepers: { rotation: "2027-02" } });
                assert.strictEqual(id, "none");
                const b64 = secretValue(outs.base64);
                const hex = secretValue(outs.hex);
                assert.strictEqual(Buffer.from(b64, "base64").length, length);
                assert.match(hex, new RegExp(`^[0-9a-f]{${2 * length}}$`));
                assert.strictEqual(Buffer.from(b64, "base64").toString("hex"), hex, "the same bytes in both encodings");
                assert.deepStrictEqual(outs.keepers, { rotation: "2027-02" });
                assert.strictEqual(outs.length, length);
            }
        });

        it("draws fresh bytes for every resource", async () => {
            const a = await created(RANDOM_BYTES, { length: 32 });
            const b = await created(RANDOM_BYTES, { length: 32 });
            assert.notStrictEqual(plain(a.outs.base64), plain(b.outs.base64));
        });
    });

    describe("RandomId", () => {
        it("uses the unpadded base64url value as id and derives every encoding from the same bytes", async () => {
            const { id, outs } = await created(RANDOM_ID, { byteLength: 16 });
            assert.match(id, /^[A-Za-z0-9_-]{22}$/);
            const bytes = Buffer.from(id, "base64url");
            assert.strictEqual(bytes.length, 16);
            assert.strictEqual(outs.b64Url, id);
            assert.strictEqual(outs.b64Std, bytes.toString("base64"));
            assert.strictEqual(outs.hex, bytes.toString("hex"));
            assert.strictEqual(outs.dec, BigInt("0x" + bytes.toString("hex")).toString());
            assert.match(String(outs.dec), /^[0-9]+$/);
            for (const k of ["b64Url", "b64Std", "hex", "dec"]) assert.ok(!isSecret(outs[k]), `${k} is not secret, as upstream`);
        });

        it("prefixes every output but not the id", async () => {
            const { id, outs } = await created(RANDOM_ID, { byteLength: 4, prefix: "tb-" });
            assert.ok(!id.startsWith("tb-"));
            for (const k of ["b64Url", "b64Std", "hex", "dec"]) assert.ok(String(outs[k]).startsWith("tb-"), k);
            assert.strictEqual(outs.b64Url, `tb-${id}`);
            assert.strictEqual(outs.prefix, "tb-");
        });
    });

    describe("RandomPassword", () => {
        const result = async (news: Record<string, unknown>) => secretValue((await created(RANDOM_PASSWORD, news)).outs.result);

        it("has the requested length and a secret result; bcryptHash is not produced", async () => {
            for (const length of [1, 12, 32, 64]) {
                const { id, outs } = await created(RANDOM_PASSWORD, { length });
                assert.strictEqual(id, "none");
                assert.strictEqual(secretValue(outs.result).length, length);
                assert.ok(!("bcryptHash" in outs));
                assert.strictEqual(outs.lower, true);
                assert.strictEqual(outs.minUpper, 0);
            }
        });

        it("honours the character classes", async () => {
            for (let i = 0; i < 20; i++) {
                assert.match(await result({ length: 32, special: false }), /^[A-Za-z0-9]{32}$/);
                assert.match(await result({ length: 32, upper: false, lower: false, special: false }), /^[0-9]{32}$/);
                assert.match(await result({ length: 32, upper: false, numeric: false, special: false }), /^[a-z]{32}$/);
                assert.match(await result({ length: 32, lower: false, number: false, special: false }), /^[A-Z]{32}$/);
                assert.match(await result({ length: 16, upper: false, lower: false, numeric: false, overrideSpecial: "-_" }), /^[-_]{16}$/);
            }
            const all = await result({ length: 4000 });
            for (const c of all) assert.ok(/[A-Za-z0-9]/.test(c) || DEFAULT_SPECIAL.includes(c), `unexpected character ${c}`);
            assert.ok([/[A-Z]/, /[a-z]/, /[0-9]/].every((re) => re.test(all)) && [...DEFAULT_SPECIAL].some((c) => all.includes(c)));
        });

        it("honours the minimums", async () => {
            for (let i = 0; i < 50; i++) {
                const r = await result({ length: 8, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2, overrideSpecial: "#" });
                assert.strictEqual(r.length, 8);
                assert.strictEqual(r.replace(/[^A-Z]/g, "").length, 2, r);
                assert.strictEqual(r.replace(/[^a-z]/g, "").length, 2, r);
                assert.strictEqual(r.replace(/[^0-9]/g, "").length, 2, r);
                assert.strictEqual(r.replace(/[^#]/g, "").length, 2, r);
            }
        });
    });

    describe("diff", () => {
        const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
            [RANDOM_BYTES, { length: 32, keepers: { k: "a" } }, { length: 16 }],
            [RANDOM_BYTES, { length: 32, keepers: { k: "a" } }, { keepers: { k: "b" } }],
            [RANDOM_ID, { byteLength: 16, prefix: "x", keepers: { k: "a" } }, { byteLength: 8 }],
            [RANDOM_ID, { byteLength: 16, prefix: "x", keepers: { k: "a" } }, { prefix: "y" }],
            [RANDOM_ID, { byteLength: 16, prefix: "x", keepers: { k: "a" } }, { keepers: {} }],
            [RANDOM_PASSWORD, { length: 32 }, { length: 33 }],
            [RANDOM_PASSWORD, { length: 32 }, { special: false }],
            [RANDOM_PASSWORD, { length: 32 }, { upper: false }],
            [RANDOM_PASSWORD, { length: 32 }, { lower: false }],
            [RANDOM_PASSWORD, { length: 32 }, { minUpper: 1 }],
            [RANDOM_PASSWORD, { length: 32 }, { minLower: 1 }],
            [RANDOM_PASSWORD, { length: 32 }, { minNumeric: 1 }],
            [RANDOM_PASSWORD, { length: 32 }, { minSpecial: 1 }],
            [RANDOM_PASSWORD, { length: 32 }, { overrideSpecial: "!" }],
            [RANDOM_PASSWORD, { length: 32 }, { keepers: { k: "v" } }],
        ];

        for (const [type, base, change] of cases) {
            it(`${type.split(":").pop()}: changing ${Object.keys(change)[0]} forces a replacement`, async () => {
                const old = await created(type, base);
                const news = await checked(type, { ...base, ...change });
                const d = await provider.diff!(old.id, urn(type), old.outs, news);
                assert.strictEqual(d.changes, true);
                assert.ok(d.replaces!.includes(Object.keys(change)[0]), `replaces ${JSON.stringify(d.replaces)}`);
                assert.ok(!d.deleteBeforeReplace, "create before delete, as upstream");
            });
        }

        it("reports no change for the same inputs, the same values made secret, or an empty overrideSpecial", async () => {
            for (const [type, base] of [
                [RANDOM_BYTES, { length: 32, keepers: { k: "a" } }],
                [RANDOM_ID, { byteLength: 16 }],
                [RANDOM_PASSWORD, { length: 32, special: false }],
            ] as [string, Record<string, unknown>][]) {
                const old = await created(type, base);
                const d = await provider.diff!(old.id, urn(type), old.outs, await checked(type, base));
                assert.deepStrictEqual({ changes: d.changes, replaces: d.replaces }, { changes: false, replaces: [] }, type);
            }
            const bytes = await created(RANDOM_BYTES, { length: 32, keepers: { k: "a" } });
            const d = await provider.diff!("none", urn(RANDOM_BYTES), bytes.outs, { length: 32, keepers: secret({ k: "a" }) });
            assert.strictEqual(d.changes, false);
            const pw = await created(RANDOM_PASSWORD, { length: 32, overrideSpecial: "" });
            const d2 = await provider.diff!("none", urn(RANDOM_PASSWORD), pw.outs, await checked(RANDOM_PASSWORD, { length: 32 }));
            assert.strictEqual(d2.changes, false);
        });

        it("treats an input unknown at preview as a change that replaces", async () => {
            const old = await created(RANDOM_BYTES, { length: 32, keepers: { k: "a" } });
            const d = await provider.diff!(old.id, urn(RANDOM_BYTES), old.outs, { length: 32, keepers: { k: unknownValue } });
            assert.deepStrictEqual(d.replaces, ["keepers"]);
        });

        it("keeps secret inputs secret in the outputs", async () => {
            const { outs } = await created(RANDOM_BYTES, { length: 8, keepers: secret({ k: "hidden" }) });
            assert.ok(isSecret(outs.keepers));
        });
    });

    it("starts as a plugin through its launcher and prints the port the engine connects to", async function () {
        this.timeout(30000);
        const launcher = path.join(__dirname, "..", "..", "toolchain", "plugins", "bin", "pulumi-resource-random");
        const port = await new Promise<string>((resolve, reject) => {
            const child = spawn(launcher, ["127.0.0.1:1"], { cwd: "/", stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            let err = "";
            child.stdout.on("data", (c) => {
                out += c;
                if (out.includes("\n")) {
                    child.kill();
                    resolve(out.split("\n")[0]);
                }
            });
            child.stderr.on("data", (c) => (err += c));
            child.on("exit", (code) => reject(new Error(`launcher exited (${code}) before printing a port: ${err}`)));
        });
        assert.match(port, /^[0-9]+$/);
    });
});
