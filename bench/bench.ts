// The benchmark (`npm run bench`, through bench/run.sh, which starts and stops its own local
// cluster): the kubectl floor, the real engine through the deploy driver (up from empty with
// and without the policy pack, a no-op up and preview, destroy), the agency at 1/10/50
// tenants, the policy pack's cost, the unit layer, and the same operations with the fixes
// the profile points at; then a profiled run of each. Writes bench/results.json and
// bench/results.md.
//
//   npm run bench [-- --quick] [--runs N] [--tenants 1,10,50] [--no-fixes] [--no-profile]
//                 [--no-unit] [--out DIR] [--keep]
//   npm run bench -- --scale …   the layouts × backends × tenant counts (bench/scale.ts)
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { analyzeProfiles } from "./lib/cpuprofile";
import { analyzeEngineLog, dependenciesFromState } from "./lib/enginelog";
import { Timed, stopRunning, timed } from "./lib/exec";
import { Role, Usage, loadAverage, machine } from "./lib/proc";
import { round } from "./lib/stats";
import { Rendered } from "./render";
import { renderMarkdown, summarize } from "./report";
import { tenantNames } from "./tenants";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "m2m-platform";
const WHATIF = path.join(ROOT, "bench", "whatif");
const PASSPHRASE = "m2m-bench-passphrase-not-a-secret";
const TS_NODE = path.join(ROOT, "node_modules", ".bin", "ts-node");

export interface Options {
    quick: boolean;
    runs: number;
    tenants: number[];
    fixes: boolean;
    profile: boolean;
    unit: boolean;
    out: string;
    keep: boolean;
}

export function parseArgs(argv: string[]): Options {
    const o: Options = { quick: false, runs: 3, tenants: [1, 10, 50], fixes: true, profile: true, unit: true, out: path.join(ROOT, "bench"), keep: false };
    let runs: number | undefined;
    let tenants: number[] | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--quick") {
            o.quick = true;
        } else if (a === "--runs") {
            runs = Number(argv[++i]);
        } else if (a === "--tenants") {
            tenants = (argv[++i] ?? "").split(",").map(Number);
        } else if (a === "--no-fixes") {
            o.fixes = false;
        } else if (a === "--no-profile") {
            o.profile = false;
        } else if (a === "--no-unit") {
            o.unit = false;
        } else if (a === "--out") {
            o.out = path.resolve(argv[++i] ?? ".");
        } else if (a === "--keep") {
            o.keep = true;
        } else {
            throw new Error(`unknown argument ${a}\nusage: npm run bench [-- --quick] [--runs N] [--tenants 1,10,50] [--no-fixes] [--no-profile] [--no-unit] [--out DIR] [--keep]`);
        }
    }
    if (o.quick) {
        o.runs = 1;
        o.tenants = [1, 10];
    }
    o.runs = runs ?? o.runs;
    o.tenants = [...new Set(tenants ?? o.tenants)].sort((a, b) => a - b);
    if (!Number.isInteger(o.runs) || o.runs < 1 || o.tenants.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new Error("--runs and --tenants take positive integers");
    }
    return o;
}

/** What one measured operation leaves in results.json. */
export interface Measurement {
    figure: string;
    tenants: number;
    run: number;
    seconds: number;
    ok: boolean;
    code?: number;
    error?: string;
    resources?: number;
    changes?: number;
    /** Per role: peak RSS (MiB) and CPU seconds; the engine process's lifetime; other work meanwhile. */
    rssMiB?: Partial<Record<Role, number>>;
    cpuSeconds?: Partial<Record<Role | "total", number>>;
    engineSeconds?: number;
    clusterCpuSeconds?: number;
    foreignCpuSeconds?: number;
    foreignShare?: number;
    foreignTop?: { comm: string; cpuSeconds: number }[];
    extra?: Record<string, number>;
}

interface RenderedSet extends Rendered {
    dir: string;
}

interface Stack {
    name: string;
    tenants: number;
    projectDir: string;
    /** The fixes: the program transpiled only, the pack precompiled, Services not awaited. */
    fixed: boolean;
}

class BenchError extends Error {}

export class Bench {
    readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-bench-"));
    readonly backend = path.join(this.tmp, "state");
    readonly logDir = path.join(this.tmp, "logs");
    readonly log = path.join(this.logDir, "bench.log");
    readonly measurements: Measurement[] = [];
    readonly rendered = new Map<number, RenderedSet>();
    readonly failures: string[] = [];
    readonly cores = machine().cores;
    readonly kubectl = process.env.KUBECTL || "kubectl";
    readonly stackFiles = new Set<string>();
    readonly started = Date.now();
    compiledPack?: string;
    readonly slowSpecs: { title: string; seconds: number }[] = [];
    profile: Record<string, unknown> = {};

    constructor(readonly opts: Options) {
        fs.mkdirSync(this.backend, { recursive: true });
        fs.mkdirSync(this.logDir, { recursive: true });
    }

    say(msg: string): void {
        const line = `[bench ${((Date.now() - this.started) / 1000).toFixed(0).padStart(5)} s] ${msg}`;
        console.log(line);
        fs.appendFileSync(this.log, `${line}\n`);
    }

    clusterPids(): number[] {
        const dir = process.env.BENCH_CLUSTER_DIR ? path.join(process.env.BENCH_CLUSTER_DIR, "run") : undefined;
        if (!dir || !fs.existsSync(dir)) {
            return [];
        }
        return fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".pid"))
            .map((f) => Number(fs.readFileSync(path.join(dir, f), "utf8").trim()))
            .filter((p) => p > 0);
    }

    env(fixed: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            ...extra,
        };
        for (const k of ["PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_NODEJS_TRANSPILE_ONLY", "PULUMI_PARALLEL", "NODE_OPTIONS", "BENCH_CPU_PROFILE_DIR"]) {
            if (!(k in extra)) {
                delete env[k];
            }
        }
        if (fixed) {
            env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
        }
        return env;
    }

    async exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutSeconds?: number; stderrFile?: string } = {}): Promise<Timed> {
        return timed(cmd, args, {
            cwd: opts.cwd ?? ROOT,
            env: opts.env ?? this.env(false),
            timeoutSeconds: opts.timeoutSeconds ?? 1800,
            log: this.log,
            stderrFile: opts.stderrFile,
            clusterPids: () => this.clusterPids(),
            cores: this.cores,
        });
    }

    sh(cmd: string, args: string[], input?: string): string {
        const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024, timeout: 900000, env: this.env(false) });
        if (r.status !== 0) {
            throw new BenchError(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || "").slice(-2000)}`);
        }
        return r.stdout;
    }

    record(m: Omit<Measurement, "ok"> & { ok?: boolean }, t?: Timed): Measurement {
        const full: Measurement = { ok: true, ...m, seconds: round(m.seconds) };
        if (t) {
            Object.assign(full, usageSummary(t.usage));
        }
        this.measurements.push(full);
        this.say(
            `${full.figure} (${full.tenants} tenant${full.tenants === 1 ? "" : "s"}, run ${full.run}): ${full.seconds.toFixed(2)} s` +
                (full.resources !== undefined ? `, ${full.resources} resources` : "") +
                (full.changes !== undefined ? `, ${full.changes} changes` : "") +
                (full.ok ? "" : ` FAILED: ${full.error}`),
        );
        return full;
    }

    // ------------------------------------------------------------------ rendering & floor

    async render(tenants: number): Promise<RenderedSet> {
        const known = this.rendered.get(tenants);
        if (known) {
            return known;
        }
        const dir = path.join(this.tmp, `render-${tenants}`);
        const out = this.sh(TS_NODE, ["--transpile-only", "bench/render.ts", "dev", String(tenants), dir]);
        const r: RenderedSet = { ...(JSON.parse(out.trim().split("\n").pop()!) as Rendered), dir };
        this.rendered.set(tenants, r);
        return r;
    }

    /** The floor's script: apply, wait for every rollout, wait until every claim is Bound. */
    floorScript(r: RenderedSet): string {
        const k = JSON.stringify(this.kubectl);
        return [
            "set -euo pipefail",
            `${k} apply --server-side --field-manager=bench-floor -f ${r.dir}/objects.yaml >/dev/null`,
            'echo "applied $(date +%s.%N)"',
            `${k} rollout status -f ${r.dir}/workloads.yaml --timeout=600s >/dev/null`,
            `until [ "$(${k} get pvc -A -o jsonpath='{range .items[?(@.status.phase=="Bound")]}x{end}' | wc -c)" -ge ${r.claims} ]; do sleep 0.2; done`,
        ].join("\n");
    }

    async floor(tenants: number, run: number): Promise<void> {
        const r = await this.render(tenants);
        await this.ensureEmpty(r);
        const t0 = Date.now() / 1000;
        const t = await this.exec("bash", ["-c", this.floorScript(r)], { timeoutSeconds: 900 });
        if (t.code !== 0) {
            throw new BenchError(`the floor failed (${t.code}): ${t.output.slice(-1500)}`);
        }
        const applied = Number(/applied (\d+\.\d+)/.exec(t.output)?.[1] ?? NaN);
        this.record({ figure: "floor", tenants, run, seconds: t.seconds, resources: r.objects, extra: { applySeconds: round(applied - t0) } }, t);
        await this.purge(r, "purge (floor)", tenants, run);
    }

    /** Deletes the stack's namespaces (claims and all) and cluster-scoped objects; waits until gone. */
    async purge(r: RenderedSet, figure: string, tenants: number, run: number): Promise<void> {
        const k = this.kubectl;
        const script = [
            "set -euo pipefail",
            `${k} delete namespace ${r.namespaces.join(" ")} --ignore-not-found --wait=true --timeout=900s >/dev/null`,
            r.clusterScoped.length ? `${k} delete ${r.clusterScoped.join(" ")} --ignore-not-found --wait=true >/dev/null` : "true",
        ].join("\n");
        const t = await this.exec("bash", ["-c", script], { timeoutSeconds: 1000 });
        if (t.code !== 0) {
            throw new BenchError(`purging the namespaces failed: ${t.output.slice(-1500)}`);
        }
        this.record({ figure, tenants, run, seconds: t.seconds }, t);
    }

    async ensureEmpty(r: RenderedSet): Promise<void> {
        const left = this.sh(this.kubectl, ["get", ...r.namespaces.map((n) => `namespace/${n}`), ...r.clusterScoped, "--ignore-not-found", "-o", "name"]).trim();
        if (left) {
            throw new BenchError(`the cluster is not empty before a "from empty" measurement: ${left.split("\n").join(", ")}`);
        }
    }

    // ------------------------------------------------------------------ the engine

    stack(tenants: number, fixed: boolean): Stack {
        const s: Stack = { name: `bench-${fixed ? "fix-" : ""}t${tenants}`, tenants, projectDir: fixed ? WHATIF : ROOT, fixed };
        const file = path.join(s.projectDir, `Pulumi.${s.name}.yaml`);
        if (!this.stackFiles.has(file)) {
            const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any>; encryptionsalt?: string };
            delete doc.encryptionsalt;
            const key = `${PROJECT}:agency`;
            doc.config[key] = { ...doc.config[key], tenants: tenantNames(tenants) };
            fs.writeFileSync(file, yaml.dump(doc));
            this.stackFiles.add(file);
        }
        return s;
    }

    packArgs(s: Stack, policy: boolean): string[] {
        if (!policy) {
            return ["--no-policy"];
        }
        return s.fixed && this.compiledPack ? ["--policy-pack", this.compiledPack] : [];
    }

    /** `npm run deploy -- <op> --stack <s> …`, as users and CI run it. */
    async driver(op: "preview" | "up" | "destroy" | "cancel", s: Stack, policy: boolean, figure: string, run: number, recordIt = true): Promise<Measurement> {
        const summary = path.join(this.logDir, `${s.name}-${op}-${run}-${Date.now()}.md`);
        const args = ["run", "--silent", "deploy", "--", op, "--stack", s.name, "--summary", summary, ...(op === "preview" || op === "up" ? this.packArgs(s, policy) : [])];
        if (s.projectDir !== ROOT) {
            args.push("--project-dir", s.projectDir);
        }
        const t = await this.exec("npm", args, { env: this.env(s.fixed) });
        const res = parseResources(t.output);
        const ok = t.code === 0;
        const m: Omit<Measurement, "ok"> & { ok: boolean } = {
            figure,
            tenants: s.tenants,
            run,
            seconds: t.seconds,
            ok,
            code: t.code,
            resources: res.total,
            changes: res.changes,
            error: ok ? undefined : failureText(t),
        };
        if (!recordIt && ok) {
            return { ...m, ok } as Measurement;
        }
        const rec = this.record(m, t);
        if (!ok) {
            throw new BenchError(`${op} of ${s.name} failed: ${rec.error}`);
        }
        return rec;
    }

    async recover(s: Stack, r: RenderedSet): Promise<void> {
        this.say(`recovering ${s.name}: cancel, destroy, purge`);
        for (const op of ["cancel", "destroy"] as const) {
            try {
                await this.driver(op, s, false, `recover ${op}`, 0, false);
            } catch (err) {
                this.say(`  ${op} failed: ${(err as Error).message.slice(0, 300)}`);
                if (op === "destroy") {
                    spawnSync("pulumi", ["stack", "rm", s.name, "--force", "--yes", "--non-interactive", "--cwd", s.projectDir], { env: this.env(false), encoding: "utf8" });
                }
            }
        }
        try {
            await this.purge(r, "recover purge", s.tenants, 0);
        } catch (err) {
            this.say(`  purge failed: ${(err as Error).message.slice(0, 300)}`);
        }
    }

    /** One run of one tenant count: the floor, previews from empty, up, (no-op up and preview), destroy. */
    async series(tenants: number, run: number, fixed: boolean): Promise<void> {
        const r = await this.render(tenants);
        const s = this.stack(tenants, fixed);
        const p = fixed ? "fixed: " : "";
        const first = tenants === this.opts.tenants[0];
        try {
            if (!fixed) {
                await this.floor(tenants, run);
            }
            await this.ensureEmpty(r);
            // Previews from an empty state, the order alternating between runs.
            const order = run % 2 ? [true, false] : [false, true];
            for (const policy of order) {
                await this.driver("preview", s, policy, `${p}preview from empty, ${policy ? "with" : "without"} the pack`, run);
            }
            await this.driver("up", s, true, `${p}up from empty, with the pack`, run);
            if (first) {
                await this.driver("up", s, true, `${p}no-op up, with the pack`, run);
                await this.driver("preview", s, true, `${p}no-op preview, with the pack`, run);
                if (!fixed) {
                    await this.driver("up", s, false, `${p}no-op up, without the pack`, run);
                }
            }
            await this.driver("destroy", s, false, `${p}destroy`, run);
            await this.purge(r, `${p}purge (after destroy)`, tenants, run);
            if (first && !fixed) {
                await this.ensureEmpty(r);
                await this.driver("up", s, false, `${p}up from empty, without the pack`, run);
                await this.driver("destroy", s, false, `${p}destroy`, run, false);
                await this.purge(r, `${p}purge (after destroy)`, tenants, run);
            }
        } catch (err) {
            const msg = `${p}${tenants} tenants, run ${run}: ${(err as Error).message}`;
            this.failures.push(msg);
            this.say(`FAILED ${msg}`);
            if (!(err instanceof BenchError)) {
                this.say((err as Error).stack ?? "");
            }
            await this.recover(s, r);
        }
    }

    /** The pack compiled to JavaScript once, staged like the toolchain stages it (analyzer route). */
    compilePack(): string {
        const dir = path.join(this.tmp, "policy-compiled");
        this.sh(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", path.join(ROOT, "policy", "tsconfig.json"), "--outDir", dir, "--sourceMap", "false"]);
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8"));
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, main: "index.js" }, null, 2));
        const yamlSrc = fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8");
        const legacy = !!process.env.M2M_POLICY_PACK && fs.readFileSync(path.join(process.env.M2M_POLICY_PACK, "PulumiPolicy.yaml"), "utf8").includes("nodejs-legacy");
        fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), legacy ? yamlSrc.replace(/^runtime: nodejs$/m, "runtime: nodejs-legacy") : yamlSrc);
        const modules = fs.existsSync(path.join(ROOT, "policy", "node_modules")) ? path.join(ROOT, "policy", "node_modules") : path.join(ROOT, "node_modules");
        fs.symlinkSync(modules, path.join(dir, "node_modules"));
        return dir;
    }

    // ------------------------------------------------------------------ unit layer

    async unit(): Promise<void> {
        const targets: [string, number | undefined][] = [["dev", undefined], ["prod", undefined], ...this.opts.tenants.filter((n) => n > 1).map((n): [string, number] => ["dev", n])];
        for (let run = 1; run <= this.opts.runs; run++) {
            for (const [stack, tenants] of targets) {
                const t = await this.exec(TS_NODE, ["--transpile-only", "bench/register.ts", stack, ...(tenants ? [String(tenants)] : [])], { timeoutSeconds: 300 });
                const label = tenants ? `${stack}, ${tenants} tenants` : stack;
                if (t.code !== 0) {
                    this.failures.push(`register ${label}: ${t.output.slice(-500)}`);
                    this.record({ figure: `register under mocks: ${label}`, tenants: tenants ?? 0, run, seconds: t.seconds, ok: false, error: t.output.slice(-300) });
                    continue;
                }
                const j = JSON.parse(t.output.trim().split("\n").pop()!) as { seconds: number; resources: number };
                this.record({ figure: `register under mocks: ${label}`, tenants: tenants ?? (stack === "dev" ? 1 : 2), run, seconds: j.seconds, resources: j.resources, extra: { processSeconds: round(t.seconds) } }, t);
            }
            const tsc = await this.exec(path.join(ROOT, "node_modules", ".bin", "tsc"), ["--noEmit"], { timeoutSeconds: 600 });
            this.record({ figure: "tsc --noEmit (the first half of npm test)", tenants: 0, run, seconds: tsc.seconds, ok: tsc.code === 0, code: tsc.code, error: tsc.code === 0 ? undefined : tsc.output.slice(-300) }, tsc);
            const t = await this.exec("npm", ["test"], { timeoutSeconds: 900 });
            const passing = /(\d+) passing/.exec(t.output)?.[1];
            const failing = /(\d+) failing/.exec(t.output)?.[1];
            const mocha = /\d+ passing \((\d+(?:\.\d+)?)(ms|s|m)\)/.exec(t.output);
            const mochaSeconds = mocha ? Number(mocha[1]) * (mocha[2] === "ms" ? 0.001 : mocha[2] === "m" ? 60 : 1) : NaN;
            this.slowSpecs.push(...slowSpecs(t.output));
            this.record(
                {
                    figure: "npm test",
                    tenants: 0,
                    run,
                    seconds: t.seconds,
                    ok: t.code === 0,
                    code: t.code,
                    error: t.code === 0 ? undefined : `exit ${t.code}, ${failing ?? "?"} failing`,
                    extra: { passing: Number(passing ?? NaN), failing: Number(failing ?? 0), mochaSeconds },
                },
                t,
            );
        }
    }

    // ------------------------------------------------------------------ profile

    /** `pulumi <op>` with the engine's verbose log and a CPU profile of every Node.js process. */
    async profiled(name: string, s: Stack, op: "up" | "preview", policy: boolean, verbosity: number): Promise<Record<string, unknown>> {
        const dir = path.join(this.tmp, "profile", name);
        fs.mkdirSync(dir, { recursive: true });
        const pack = s.fixed && this.compiledPack ? this.compiledPack : process.env.M2M_POLICY_PACK || path.join(ROOT, "policy");
        const args = [op, "--stack", s.name, "--non-interactive", `-v=${verbosity}`, "--logtostderr", ...(op === "up" ? ["--yes", "--skip-preview"] : [])];
        if (policy) {
            args.push("--policy-pack", pack, "--policy-pack-config", path.join(ROOT, "policy", "config", "dev.json"));
        }
        const env = this.env(s.fixed, { NODE_OPTIONS: `--require ${path.join(ROOT, "bench", "lib", "cpuprof.js")}`, BENCH_CPU_PROFILE_DIR: path.join(dir, "cpu") });
        const logFile = path.join(dir, "engine.log");
        this.sh("pulumi", ["stack", "select", "--create", s.name, "--non-interactive", "--cwd", s.projectDir]);
        const t = await this.exec("pulumi", args, { env, cwd: s.projectDir, stderrFile: logFile });
        const res = parseResources(t.output);
        this.say(`profile ${name}: ${t.seconds.toFixed(1)} s, exit ${t.code}, ${res.total ?? "?"} resources`);
        const exported = spawnSync("pulumi", ["stack", "export", "--stack", s.name, "--cwd", s.projectDir], { env: this.env(false), encoding: "utf8", maxBuffer: 512 * 1024 * 1024 }).stdout;
        const log = analyzeEngineLog(fs.readFileSync(logFile, "utf8"), exported ? dependenciesFromState(exported) : new Map());
        const { steps, ...rest } = log;
        return {
            op,
            tenants: s.tenants,
            fixed: s.fixed,
            policy,
            seconds: round(t.seconds),
            code: t.code,
            resources: res.total,
            changes: res.changes,
            usage: usageSummary(t.usage),
            engineLog: { ...rest, steps: steps.length },
            cpu: analyzeProfiles(path.join(dir, "cpu"), ROOT),
        };
    }

    async profiles(): Promise<void> {
        const first = this.opts.tenants[0];
        const last = this.opts.tenants[this.opts.tenants.length - 1];
        const rFirst = await this.render(first);
        const rLast = await this.render(last);
        const dev = this.stack(first, false);
        const big = this.stack(last, false);
        try {
            await this.ensureEmpty(rLast);
            this.profile[`preview from empty, ${last} tenants, with the pack`] = await this.profiled(`preview-t${last}`, big, "preview", true, 9);
            this.profile[`preview from empty, ${last} tenants, without the pack`] = await this.profiled(`preview-t${last}-nopack`, big, "preview", false, 9);
            await this.ensureEmpty(rFirst);
            this.profile[`up from empty, ${first} tenant${first === 1 ? "" : "s"}, with the pack`] = await this.profiled(`up-t${first}`, dev, "up", true, 9);
            this.profile[`no-op up, ${first} tenant${first === 1 ? "" : "s"}, with the pack`] = await this.profiled(`noop-t${first}`, dev, "up", true, 9);
            await this.driver("destroy", dev, false, "destroy", 0, false);
            await this.purge(rFirst, "purge (profile)", first, 0);
            if (this.opts.fixes) {
                const fix = this.stack(first, true);
                this.profile[`fixed: up from empty, ${first} tenant${first === 1 ? "" : "s"}, with the pack`] = await this.profiled(`fixed-up-t${first}`, fix, "up", true, 9);
                this.profile[`fixed: no-op up, ${first} tenant${first === 1 ? "" : "s"}, with the pack`] = await this.profiled(`fixed-noop-t${first}`, fix, "up", true, 9);
                await this.driver("destroy", fix, false, "destroy", 0, false);
                await this.purge(rFirst, "purge (profile)", first, 0);
            }
        } catch (err) {
            this.failures.push(`profile: ${(err as Error).message}`);
            this.say(`FAILED profile: ${(err as Error).message}`);
            await this.recover(dev, rFirst);
        }
    }

    // ------------------------------------------------------------------ everything

    async main(): Promise<void> {
        const loadStart = loadAverage();
        this.say(`work dir ${this.tmp}; ${this.opts.runs} run(s), tenants ${this.opts.tenants.join("/")}${this.opts.quick ? " (quick)" : ""}`);
        this.checkPrerequisites();
        const versions = this.versions();
        try {
            for (const n of this.opts.tenants) {
                const r = await this.render(n);
                this.say(`rendered ${n} tenant${n === 1 ? "" : "s"}: ${r.objects} objects, ${r.workloads} workloads, ${r.claims} claims`);
            }
            if (this.opts.fixes) {
                this.compiledPack = this.compilePack();
            }
            if (this.opts.unit) {
                await this.unit();
            }
            const fixTenants = this.opts.fixes ? [...new Set([this.opts.tenants[0], this.opts.tenants[this.opts.tenants.length - 1]])] : [];
            for (let run = 1; run <= this.opts.runs; run++) {
                for (const n of this.opts.tenants) {
                    await this.series(n, run, false);
                }
                for (const n of fixTenants) {
                    await this.series(n, run, true);
                }
            }
            if (this.opts.profile) {
                await this.profiles();
            }
        } finally {
            this.cleanup();
        }
        const results = summarize({
            generatedAt: new Date().toISOString(),
            totalSeconds: round((Date.now() - this.started) / 1000, 1),
            clusterStartSeconds: process.env.BENCH_CLUSTER_UP_SECONDS ? Number(process.env.BENCH_CLUSTER_UP_SECONDS) : undefined,
            options: this.opts,
            machine: { ...machine(), loadAverageStart: loadStart, loadAverageEnd: loadAverage() },
            versions,
            rendered: Object.fromEntries([...this.rendered.entries()].map(([n, r]) => [n, { objects: r.objects, kinds: r.kinds, namespaces: r.namespaces.length, workloads: r.workloads, claims: r.claims }])),
            floorScript: this.rendered.size ? this.floorScript(this.rendered.get(this.opts.tenants[0])!).replace(new RegExp(this.tmp, "g"), "$WORK") : "",
            measurements: this.measurements,
            slowSpecs: topSpecs(this.slowSpecs),
            failures: this.failures,
            profile: this.profile,
        });
        fs.mkdirSync(this.opts.out, { recursive: true });
        fs.writeFileSync(path.join(this.opts.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
        fs.writeFileSync(path.join(this.opts.out, "results.md"), renderMarkdown(results));
        this.say(`wrote ${path.relative(process.cwd(), path.join(this.opts.out, "results.md"))} and results.json (${results.totalSeconds} s)`);
        if (this.failures.length) {
            this.say(`${this.failures.length} failure(s); logs kept in ${this.logDir}`);
            process.exitCode = 1;
        } else if (!this.opts.keep) {
            fs.rmSync(this.tmp, { recursive: true, force: true });
        } else {
            this.say(`kept ${this.tmp}`);
        }
    }

    cleanup(): void {
        for (const f of this.stackFiles) {
            fs.rmSync(f, { force: true });
        }
    }

    checkPrerequisites(): void {
        const missing: string[] = [];
        for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", this.kubectl]) {
            if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) {
                missing.push(`${bin} is not on PATH`);
            }
        }
        if (!process.env.KUBECONFIG || spawnSync(this.kubectl, ["get", "--raw", "/readyz"]).status !== 0) {
            missing.push("no API server answers at KUBECONFIG");
        }
        if (!process.env.M2M_POLICY_PACK && !fs.existsSync(path.join(ROOT, "policy", "node_modules"))) {
            // The repository's own pack is used; fine on a connected machine.
        }
        if (missing.length) {
            throw new Error(`benchmark prerequisites missing:\n  - ${missing.join("\n  - ")}\nRun it as \`npm run bench\` (bench/run.sh sets up the toolchain's PATH and its own cluster) after scripts/cluster-toolchain.sh all.`);
        }
    }

    versions(): Record<string, string> {
        const out = (cmd: string, args: string[]) => {
            const r = spawnSync(cmd, args, { encoding: "utf8", env: this.env(false), cwd: ROOT });
            return r.status === 0 ? r.stdout.trim() : "";
        };
        const pkg = (name: string) => {
            try {
                return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version as string;
            } catch {
                return "not installed";
            }
        };
        const toolchain = fs.readFileSync(path.join(ROOT, "scripts", "cluster-toolchain.sh"), "utf8");
        const def = (v: string) => process.env[v] || /^\w+=\$\{\w+:-([^}]+)\}/m.exec(toolchain.split("\n").find((l) => l.startsWith(`${v}=`)) ?? "")?.[1] || "";
        const where = (bin: string) => out("sh", ["-c", `command -v ${bin}`]);
        const standIn = (bin: string) => (where(bin).startsWith(path.join(ROOT, "toolchain")) ? "offline stand-in (toolchain/plugins)" : where(bin) || "installed plugin");
        let kube: { clientVersion?: { gitVersion?: string }; serverVersion?: { gitVersion?: string } } = {};
        try {
            kube = JSON.parse(out(this.kubectl, ["version", "-o", "json"]));
        } catch {
            // left empty
        }
        const head = out("git", ["rev-parse", "HEAD"]);
        const dirty = out("git", ["status", "--porcelain", "--untracked-files=no"]).split("\n").filter(Boolean).length;
        return {
            commit: `${head}${dirty ? ` (+${dirty} uncommitted file${dirty === 1 ? "" : "s"})` : ""}`,
            pulumiCli: out("pulumi", ["version"]),
            nodejsLanguageHost: where("pulumi-language-nodejs").includes("m2m-toolchain") ? `built from sdk/v3 ${def("PULUMI_NODEJS_HOST_VERSION")}` : where("pulumi-language-nodejs"),
            kubernetesProvider: /pulumi-kubernetes-([\w.]+)/.exec(where("pulumi-resource-kubernetes"))?.[1] ?? where("pulumi-resource-kubernetes"),
            randomProvider: standIn("pulumi-resource-random"),
            dockerProvider: standIn("pulumi-resource-docker"),
            node: process.version,
            npm: out("npm", ["--version"]),
            "@pulumi/pulumi": pkg("@pulumi/pulumi"),
            "@pulumi/kubernetes": pkg("@pulumi/kubernetes"),
            "@pulumi/policy": pkg("@pulumi/policy"),
            typescript: pkg("typescript"),
            "ts-node": pkg("ts-node"),
            kubectl: kube.clientVersion?.gitVersion ?? "",
            kubernetesServer: kube.serverVersion?.gitVersion ?? "",
            etcd: def("ETCD_VERSION"),
            kwok: def("KWOK_VERSION"),
            policyPack: process.env.M2M_POLICY_PACK ? "policy/, staged for the analyzer route (M2M_POLICY_PACK)" : "policy/",
        };
    }
}

function usageSummary(u: Usage): Partial<Measurement> {
    const rssMiB: Partial<Record<Role, number>> = {};
    const cpuSeconds: Partial<Record<Role | "total", number>> = {};
    for (const [role, r] of Object.entries(u.roles) as [Role, NonNullable<Usage["roles"][Role]>][]) {
        rssMiB[role] = round(r.peakRssMiB, 1);
        cpuSeconds[role] = round(r.cpuSeconds, 2);
    }
    const engine = u.roles.engine;
    cpuSeconds.total = round(Object.values(u.roles).reduce((a, r) => a + (r?.cpuSeconds ?? 0), 0), 2);
    return {
        rssMiB,
        cpuSeconds,
        engineSeconds: engine ? round(engine.lastSeen - engine.firstSeen, 2) : undefined,
        clusterCpuSeconds: round(u.clusterCpuSeconds, 2),
        foreignCpuSeconds: round(u.foreignCpuSeconds, 2),
        foreignShare: round(u.foreignShare, 3),
        foreignTop: u.foreignTop.map((f) => ({ comm: f.comm, cpuSeconds: round(f.cpuSeconds, 2) })),
    };
}

/** The engine's `Resources:` block: how many resources the operation covers and how many it changes. */
export function parseResources(output: string): { total?: number; changes?: number } {
    const at = output.lastIndexOf("\nResources:");
    if (at < 0) {
        return {};
    }
    const block: string[] = [];
    for (const line of output.slice(at + "\nResources:".length).split("\n").slice(1)) {
        if (!line.trim()) {
            break;
        }
        block.push(line);
    }
    let total = 0;
    let changes = 0;
    let deleted = 0;
    for (const line of block) {
        for (const m of line.matchAll(/(\d+) (to create|created|to update|updated|to delete|deleted|to replace|replaced|unchanged|to import|imported)/g)) {
            const n = Number(m[1]);
            if (m[2] === "unchanged") {
                total += n;
            } else if (/delete/.test(m[2])) {
                deleted += n;
                changes += n;
            } else {
                total += n;
                changes += n;
            }
        }
    }
    return { total: total || deleted, changes };
}

/** The specs mocha's reporter marks slow, with their durations. */
function slowSpecs(output: string): { title: string; seconds: number }[] {
    const out: { title: string; seconds: number }[] = [];
    for (const m of output.matchAll(/^\s*(?:✔|✓|√)\s+(.+?) \((\d+)ms\)\s*$/gm)) {
        out.push({ title: m[1], seconds: Number(m[2]) / 1000 });
    }
    return out;
}

/** Per spec title, the median over the runs; the slowest ten. */
function topSpecs(all: { title: string; seconds: number }[]): { title: string; seconds: number }[] {
    const by = new Map<string, number[]>();
    for (const s of all) {
        (by.get(s.title) ?? by.set(s.title, []).get(s.title)!).push(s.seconds);
    }
    return [...by.entries()]
        .map(([title, xs]) => ({ title, seconds: round(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)], 2) }))
        .sort((a, b) => b.seconds - a.seconds)
        .slice(0, 10);
}

/** What a failed measurement records: the exit, and the last engine errors (or the last lines) of its output. */
export function failureText(t: Timed): string {
    return `exit ${t.code}${t.timedOut ? " (timed out)" : ""}: ${lastErrors(t.output)}`;
}

function lastErrors(output: string): string {
    const errs = output.split("\n").filter((l) => /^\s*error:|mandatory policy violation/.test(l));
    return (errs.length ? errs.slice(-3).join(" | ") : output.trim().split("\n").slice(-3).join(" | ")).slice(0, 600);
}

if (require.main === module && process.argv.includes("--scale")) {
    // The scale mode (bench/scale.ts): layouts × backends × tenant counts.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { ScaleBench, parseScaleArgs } = require("./scale") as typeof import("./scale");
    let scale: ReturnType<typeof parseScaleArgs>;
    try {
        scale = parseScaleArgs(process.argv.slice(2));
    } catch (err) {
        console.error(`error: ${(err as Error).message}`);
        process.exit(2);
    }
    const bench = new ScaleBench(scale);
    const stop = () => {
        stopRunning();
        bench.stopS3();
        bench.cleanup();
        process.exit(130);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    bench.mainScale().catch((err) => {
        console.error(`error: ${(err as Error).message}`);
        bench.stopS3();
        bench.cleanup();
        process.exit(1);
    });
} else if (require.main === module) {
    let opts: Options;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (err) {
        console.error(`error: ${(err as Error).message}`);
        process.exit(2);
    }
    const bench = new Bench(opts);
    const stop = () => {
        stopRunning();
        bench.cleanup();
        process.exit(130);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    bench.main().catch((err) => {
        console.error(`error: ${(err as Error).message}`);
        bench.cleanup();
        process.exit(1);
    });
}
