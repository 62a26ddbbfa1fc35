// The benchmark's scale mode (`npm run bench -- --scale …`, through bench/run.sh and its own
// local cluster): the two layouts of the agency's tenants (one stack holding every tenant,
// or the platform stack plus one stack per tenant through the driver's fan-out) on the two
// state backends (file://, and S3 on a SeaweedFS server this run starts), at several tenant
// counts, in one run so that every ratio pairs figures taken on the same machine. Writes
// bench/results-scale.json and bench/results-scale.md (with --interleave:
// results-scale-interleaved.*) after every installation measured.
//
//   npm run bench -- --scale [--tenants 1,50,200] [--backends file,s3]
//                    [--layouts one-stack,tenant-stacks] [--one-stack-tenants 1,50]
//                    [--fan-out-tenants 50] [--runs 3] [--concurrency 2] [--until HH:MM]
//
// What runs, in this order (the issue's targets first):
// 1. targets, per backend and tenant count: a platform stack listing every tenant as a
//    tenant stack (agency.tenantStacks), deployed with one of them, client-a (`up --stack P
//    --tenants client-a`); then `--runs` no-op `up`s of that tenant stack and `--runs` `up`s
//    changing its config (agency.hpa.maxReplicas in its stack file), and at the lowest
//    tenant count a no-op `up` of the platform with it (there: of everything). The other
//    tenant stacks are not deployed: a tenant stack's `up` reads its own checkpoint and the
//    platform's outputs, nothing of its siblings (the fan-out installation below measures
//    the same change with all of them deployed);
// 2. one stack holding every tenant (`--one-stack-tenants`): `up` from empty, no-op `up`s,
//    an `up` adding one tenant (the layout has no per-tenant config to change);
// 3. tenant stacks, all deployed (`--fan-out-tenants`): `up --tenants all --concurrency N`
//    from empty, its no-op `up`, and the one-tenant change.
// Checkpoint writes are counted as the writes of the stacks' checkpoint objects
// (`.pulumi/stacks/<project>/<stack>.json`) while the operation runs: on the file backend
// the renames that land them (inotify, fs.watch), on S3 the filer's metadata events for
// those objects (`weed filer.meta.tail` over the operation's time window). With
// `--interleave` the targets' installations of a backend are deployed side by side and
// their runs interleaved (see interleavedTargets). `--until`
// skips an installation that would not finish by then (UTC), saying so in the results.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { Bench, Measurement, failureText, parseArgs as parseBenchArgs, parseResources } from "./bench";
import { loadAverage, machine } from "./lib/proc";
import { round } from "./lib/stats";
import { renderScaleMarkdown, summarizeScale } from "./scale-report";
import { tenantNames } from "./tenants";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "m2m-platform";
const MEASURED = "client-a";
const BASE_MAX_REPLICAS = 5;

export type Backend = "file" | "s3";
export type Layout = "one-stack" | "tenant-stacks";

export interface ScaleOptions {
    tenants: number[];
    backends: Backend[];
    layouts: Layout[];
    oneStackTenants: number[];
    fanOutTenants: number[];
    runs: number;
    concurrency: number;
    /** The targets' installations of one backend deployed side by side (own namespace prefixes), their runs interleaved. */
    interleave: boolean;
    /** Epoch ms after which no installation starts that would not finish (--until HH:MM UTC). */
    until?: number;
    out: string;
    keep: boolean;
}

const USAGE =
    "usage: npm run bench -- --scale [--tenants 1,50,200] [--backends file,s3] [--layouts one-stack,tenant-stacks] [--one-stack-tenants 1,50] [--fan-out-tenants 50] [--runs 3] [--concurrency 2] [--until HH:MM] [--interleave] [--out DIR] [--keep]";

export function parseScaleArgs(argv: string[]): ScaleOptions {
    const o: ScaleOptions = { tenants: [1, 50, 200], backends: ["file", "s3"], layouts: ["tenant-stacks", "one-stack"], oneStackTenants: [1, 50], fanOutTenants: [50], runs: 3, concurrency: 2, interleave: false, out: path.join(ROOT, "bench"), keep: false };
    const ints = (v: string | undefined, flag: string) => {
        const xs = v === "none" ? [] : (v ?? "").split(",").filter(Boolean).map(Number);
        if (xs.some((n) => !Number.isInteger(n) || n < 1)) {
            throw new Error(`${flag} takes positive integers separated by commas, or none (got ${JSON.stringify(v ?? "")})\n${USAGE}`);
        }
        return [...new Set(xs)].sort((a, b) => a - b);
    };
    const words = <T extends string>(v: string | undefined, flag: string, allowed: readonly T[]): T[] => {
        const xs = (v ?? "").split(",").filter(Boolean);
        const bad = xs.filter((x) => !allowed.includes(x as T));
        if (!xs.length || bad.length) {
            throw new Error(`${flag} takes ${allowed.join(" and/or ")} (got ${JSON.stringify(v ?? "")})\n${USAGE}`);
        }
        return xs as T[];
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--scale") {
            continue;
        } else if (a === "--tenants") {
            o.tenants = ints(argv[++i], a);
        } else if (a === "--one-stack-tenants") {
            o.oneStackTenants = ints(argv[++i], a);
        } else if (a === "--fan-out-tenants") {
            o.fanOutTenants = ints(argv[++i], a);
        } else if (a === "--backends") {
            o.backends = words(argv[++i], a, ["file", "s3"] as const);
        } else if (a === "--layouts") {
            o.layouts = words(argv[++i], a, ["one-stack", "tenant-stacks"] as const);
        } else if (a === "--runs" || a === "--concurrency") {
            const n = Number(argv[++i]);
            if (!Number.isInteger(n) || n < 1) {
                throw new Error(`${a} takes a positive integer\n${USAGE}`);
            }
            o[a === "--runs" ? "runs" : "concurrency"] = n;
        } else if (a === "--until") {
            const m = /^(\d{1,2}):(\d{2})$/.exec(argv[++i] ?? "");
            if (!m) {
                throw new Error(`--until takes a UTC time HH:MM\n${USAGE}`);
            }
            const d = new Date();
            d.setUTCHours(Number(m[1]), Number(m[2]), 0, 0);
            o.until = d.getTime();
        } else if (a === "--out") {
            o.out = path.resolve(argv[++i] ?? ".");
        } else if (a === "--keep") {
            o.keep = true;
        } else if (a === "--interleave") {
            o.interleave = true;
        } else {
            throw new Error(`unknown argument ${a}\n${USAGE}`);
        }
    }
    return o;
}

/** One installation: what layout and backend, how many tenants, which part of the plan. */
export interface Installation {
    id: string;
    phase: "targets" | "one-stack" | "fan-out";
    layout: Layout;
    backend: Backend;
    tenants: number;
    /** Rough minutes it takes here, for --until. */
    minutes: number;
    /** What was deployed, in words, for the results. */
    deployed: string;
}

/** The plan in the order it runs: the targets first, then the one-stack layout, then every tenant stack deployed. */
export function plan(o: ScaleOptions): Installation[] {
    const out: Installation[] = [];
    const add = (i: Omit<Installation, "id">) => out.push({ ...i, id: `bench-${i.backend}-${{ targets: "ts", "one-stack": "os", "fan-out": "fo" }[i.phase]}${i.tenants}` });
    if (o.layouts.includes("tenant-stacks")) {
        for (const backend of o.backends) {
            for (const n of o.tenants) {
                add({ phase: "targets", layout: "tenant-stacks", backend, tenants: n, minutes: 2 + 1.2 * o.runs, deployed: `the platform stack listing ${n} tenant stack${n === 1 ? "" : "s"}, and tenant stack ${MEASURED} deployed${n > 1 ? ` (the other ${n - 1} not deployed)` : ""}` });
            }
        }
    }
    if (o.layouts.includes("one-stack")) {
        for (const n of o.oneStackTenants) {
            for (const backend of o.backends) {
                add({ phase: "one-stack", layout: "one-stack", backend, tenants: n, minutes: 2.5 + n * 0.12, deployed: `one stack holding ${n} tenant${n === 1 ? "" : "s"} and the platform` });
            }
        }
    }
    if (o.layouts.includes("tenant-stacks")) {
        for (const n of o.fanOutTenants) {
            for (const backend of o.backends) {
                add({ phase: "fan-out", layout: "tenant-stacks", backend, tenants: n, minutes: 3 + n * 0.7, deployed: `the platform stack and all ${n} tenant stacks, through the fan-out at concurrency ${o.concurrency}` });
            }
        }
    }
    return out;
}

interface S3 {
    env: Record<string, string>;
    endpoint: string;
    bucket: string;
    filer: string;
    weed: string;
    serverEnv: NodeJS.ProcessEnv;
}

export class ScaleBench extends Bench {
    backendKind: Backend = "file";
    s3?: S3;
    readonly baseNamespaces = new Set<string>();
    clusterScoped: string[] = [];
    readonly installations: (Installation & { skipped?: string; failed?: string; checkpointBytes?: Record<string, number> })[] = [];
    readonly fileBackend = path.join(this.tmp, "state");

    constructor(readonly scale: ScaleOptions) {
        super({ ...parseBenchArgs(["--no-fixes", "--no-profile", "--no-unit"]), out: scale.out, keep: scale.keep });
    }

    env(fixed: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env = super.env(fixed, extra);
        if (this.backendKind === "s3" && this.s3) {
            Object.assign(env, this.s3.env);
        }
        return env;
    }

    // ------------------------------------------------------------------ the S3 server

    /** scripts/s3-server.sh up in this run's work dir, on ports of its own (S3_PORT, WEED_*_PORT; defaults away from the script's). */
    startS3(): S3 {
        const weed = process.env.WEED || "";
        if (!weed || !fs.existsSync(weed)) {
            throw new Error("no weed binary (WEED): build it with scripts/cluster-toolchain.sh seaweedfs; bench/run.sh exports it through print-env");
        }
        // The script's server holds 16 volumes of 256 MB; every checkpoint write of a large
        // stack is a new object version until the master vacuums, so give it room.
        const wrapper = path.join(this.tmp, "weed");
        fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${JSON.stringify(weed)} "$@" -volume.max=120\n`, { mode: 0o755 });
        const ports = { S3_PORT: "18335", WEED_MASTER_PORT: "19335", WEED_VOLUME_PORT: "18385", WEED_FILER_PORT: "18895" };
        const serverEnv: NodeJS.ProcessEnv = { ...process.env, S3_SERVER_DIR: path.join(this.tmp, "s3"), WEED: wrapper };
        for (const [k, v] of Object.entries(ports)) {
            serverEnv[k] = process.env[k] || v;
        }
        const r = spawnSync(path.join(ROOT, "scripts", "s3-server.sh"), ["up"], { env: serverEnv, encoding: "utf8", timeout: 180000 });
        if (r.status !== 0) {
            throw new Error(`scripts/s3-server.sh up failed: ${(r.stderr || r.stdout).slice(-1500)}`);
        }
        const env: Record<string, string> = {};
        for (const m of r.stdout.matchAll(/^export (\w+)="(.*)"$/gm)) {
            env[m[1]] = m[2];
        }
        this.say(`S3 server up: ${env.PULUMI_BACKEND_URL}`);
        return {
            env: { PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL, AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY },
            endpoint: env.M2M_S3_ENDPOINT,
            bucket: env.M2M_S3_BUCKET,
            filer: `127.0.0.1:${serverEnv.WEED_FILER_PORT}`,
            weed,
            serverEnv,
        };
    }

    stopS3(): void {
        if (this.s3) {
            spawnSync(path.join(ROOT, "scripts", "s3-server.sh"), ["down"], { env: this.s3.serverEnv, encoding: "utf8", timeout: 60000 });
            this.s3 = undefined;
        }
    }

    // ------------------------------------------------------------------ checkpoints

    checkpointKey(stack: string): string {
        return `.pulumi/stacks/${PROJECT}/${stack}.json`;
    }

    /** The size of a stack's checkpoint object in the current backend, in bytes. */
    checkpointBytes(stack: string): number | undefined {
        if (this.backendKind === "file") {
            const f = path.join(this.fileBackend, this.checkpointKey(stack));
            return fs.existsSync(f) ? fs.statSync(f).size : undefined;
        }
        const s3 = this.s3!;
        const r = spawnSync(
            "curl",
            ["-s", "-I", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", `${s3.env.AWS_ACCESS_KEY_ID}:${s3.env.AWS_SECRET_ACCESS_KEY}`, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", `${s3.endpoint}/${s3.bucket}/${this.checkpointKey(stack)}`],
            { encoding: "utf8", timeout: 30000 },
        );
        const len = /^content-length:\s*(\d+)/im.exec(r.stdout ?? "");
        return /^HTTP\/\S+ 200/.test(r.stdout ?? "") && len ? Number(len[1]) : undefined;
    }

    /** Runs `op` and counts the writes of the checkpoint objects of the stacks `names` matches meanwhile. */
    async countingWrites<T>(names: RegExp, op: () => Promise<T>): Promise<{ result: T; writes?: number }> {
        if (this.backendKind === "file") {
            const dir = path.join(this.fileBackend, ".pulumi", "stacks", PROJECT);
            fs.mkdirSync(dir, { recursive: true });
            let writes = 0;
            // The file backend lands each write by renaming a temporary file onto <stack>.json.
            const watcher = fs.watch(dir, (event, file) => {
                if (event === "rename" && file && names.test(String(file))) {
                    writes++;
                }
            });
            try {
                const result = await op();
                await new Promise((r) => setTimeout(r, 300));
                return { result, writes };
            } finally {
                watcher.close();
            }
        }
        const t0 = Date.now();
        const result = await op();
        const t1 = Date.now();
        await new Promise((r) => setTimeout(r, 1500));
        return { result, writes: this.s3Writes(names, t0, t1) };
    }

    /** The filer's metadata log between t0 and t1: the events that write a matching checkpoint object. */
    s3Writes(names: RegExp, t0: number, t1: number): number | undefined {
        const s3 = this.s3!;
        const now = Date.now();
        const prefix = `/buckets/${s3.bucket}/.pulumi/stacks/${PROJECT}`;
        const r = spawnSync(s3.weed, ["filer.meta.tail", `-filer=${s3.filer}`, `-pathPrefix=${prefix}/`, `-timeAgo=${now - t0 + 500}ms`, `-untilTimeAgo=${Math.max(1, now - t1 - 1000)}ms`], {
            encoding: "utf8",
            timeout: 120000,
            maxBuffer: 1024 * 1024 * 1024,
        });
        if (r.status !== 0) {
            this.say(`weed filer.meta.tail failed (${r.status ?? r.signal}): ${(r.stderr ?? "").slice(-300)}`);
            return undefined;
        }
        let writes = 0;
        for (const chunk of r.stdout.split(/\n(?=\{)/)) {
            if (!chunk.trim()) {
                continue;
            }
            const ev = JSON.parse(chunk) as { directory?: string; eventNotification?: { newEntry?: { name?: string; isDirectory?: boolean } | null } };
            const e = ev.eventNotification?.newEntry;
            if (ev.directory === prefix && e && !e.isDirectory && e.name && names.test(e.name)) {
                writes++;
            }
        }
        return writes;
    }

    // ------------------------------------------------------------------ stack files

    writeStackFile(name: string, config: Record<string, unknown>): void {
        const file = path.join(ROOT, `Pulumi.${name}.yaml`);
        fs.writeFileSync(file, yaml.dump({ config }));
        this.stackFiles.add(file);
    }

    /** The dev stack's file with the agency's tenants in the given layout lists. */
    writePlatform(name: string, tenants: string[], tenantStacks: string[], namespacePrefix?: string): void {
        const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
        const key = `${PROJECT}:agency`;
        doc.config[key] = { ...doc.config[key], tenants, tenantStacks };
        if (namespacePrefix) {
            doc.config[`${PROJECT}:namespacePrefix`] = namespacePrefix;
        }
        this.writeStackFile(name, doc.config);
    }

    writeTenant(platform: string, tenant: string, maxReplicas?: number): void {
        this.writeStackFile(`${platform}.${tenant}`, {
            [`${PROJECT}:environment`]: "dev",
            [`${PROJECT}:stackKind`]: "tenant",
            [`${PROJECT}:tenantStack`]: { platform, tenant },
            ...(maxReplicas === undefined ? {} : { [`${PROJECT}:agency`]: { hpa: { maxReplicas } } }),
        });
    }

    // ------------------------------------------------------------------ operations

    /** One `npm run deploy -- up …`, timed, with its checkpoint writes; throws when it fails. */
    async up(inst: Installation, figure: string, run: number, stack: string, extra: string[], names: RegExp): Promise<Measurement> {
        const summary = path.join(this.logDir, `${stack}-up-${run}-${Date.now()}.md`);
        const args = ["run", "--silent", "deploy", "--", "up", "--stack", stack, "--summary", summary, ...extra];
        const { result: t, writes } = await this.countingWrites(names, () => this.exec("npm", args, { env: this.env(false), timeoutSeconds: 3600 }));
        const res = perStack(t.output);
        const ok = t.code === 0;
        const m = this.record(
            {
                figure: `${inst.backend} · ${inst.phase} · ${figure}`,
                tenants: inst.tenants,
                run,
                seconds: t.seconds,
                ok,
                code: t.code,
                resources: res.total,
                changes: res.changes,
                error: ok ? undefined : failureText(t),
                extra: { ...(writes === undefined ? {} : { checkpointWrites: writes }), stacks: res.stacks, loadAverage1m: loadAverage()[0] },
            },
            t,
        );
        if (!ok) {
            throw new Error(`up of ${stack} failed: ${m.error}`);
        }
        return m;
    }

    /** Deletes every namespace the cluster did not start with and the program's cluster-scoped objects. */
    async purgeAll(inst: Installation): Promise<void> {
        const k = this.kubectl;
        const ns = this.sh(k, ["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]).split(/\s+/).filter((n) => n && !this.baseNamespaces.has(n));
        const script = [
            "set -euo pipefail",
            ns.length ? `${k} delete namespace ${ns.join(" ")} --ignore-not-found --wait=true --timeout=1200s >/dev/null` : "true",
            this.clusterScoped.length ? `${k} delete ${this.clusterScoped.join(" ")} --ignore-not-found --wait=true >/dev/null` : "true",
        ].join("\n");
        const t = await this.exec("bash", ["-c", script], { timeoutSeconds: 1300 });
        if (t.code !== 0) {
            throw new Error(`purging the cluster failed: ${t.output.slice(-1500)}`);
        }
        this.say(`purged ${inst.id}: ${ns.length} namespaces in ${t.seconds.toFixed(1)} s`);
    }

    sizes(stacks: string[]): Record<string, number> {
        const out: Record<string, number> = {};
        for (const s of stacks) {
            const b = this.checkpointBytes(s);
            if (b !== undefined) {
                out[s] = b;
            }
        }
        return out;
    }

    /** The targets: the platform listing every tenant as a stack, one of them deployed, its no-op and changing ups. */
    async targets(inst: Installation): Promise<Record<string, number>> {
        const P = inst.id;
        const names = tenantNames(inst.tenants);
        this.writePlatform(P, [], names);
        for (const t of names) {
            this.writeTenant(P, t);
        }
        const T = `${P}.${MEASURED}`;
        const all = stackPattern(P, true);
        const own = stackPattern(T, false);
        await this.up(inst, "platform + 1 tenant stack: up from empty", 1, P, ["--tenants", MEASURED, "--concurrency", String(this.scale.concurrency)], all);
        const sizes = this.sizes([P, T]);
        for (let run = 1; run <= this.scale.runs; run++) {
            await this.up(inst, "tenant stack: no-op up", run, T, [], own);
        }
        for (let run = 1; run <= this.scale.runs; run++) {
            this.writeTenant(P, MEASURED, BASE_MAX_REPLICAS + run);
            await this.up(inst, "tenant stack: one-tenant change", run, T, [], own);
        }
        if (inst.tenants === this.scale.tenants[0]) {
            // With one tenant this is the no-op up of everything; above, the same platform.
            await this.up(inst, "platform + 1 tenant stack: no-op up", 1, P, ["--tenants", MEASURED], all);
        }
        return { ...sizes, ...this.sizes([T]) };
    }

    /**
     * --interleave: every tenant count's targets installation of one backend side by side
     * (namespace prefix t<n><backend>-, so that their namespaces and PriorityClasses do not meet), one
     * unmeasured no-op up of each to warm the machine's caches, then run by run the no-op up
     * and the one-tenant change of each count in turn, so that a drift in the machine's
     * other load falls on every count alike.
     */
    async interleavedTargets(group: Installation[]): Promise<void> {
        const own = (inst: Installation) => stackPattern(`${inst.id}.${MEASURED}`, false);
        for (const inst of group) {
            const names = tenantNames(inst.tenants);
            this.writePlatform(inst.id, [], names, prefixOf(inst));
            for (const t of names) {
                this.writeTenant(inst.id, t);
            }
            await this.up(inst, "platform + 1 tenant stack: up from empty", 1, inst.id, ["--tenants", MEASURED, "--concurrency", String(this.scale.concurrency)], stackPattern(inst.id, true));
        }
        for (const inst of group) {
            await this.up(inst, "tenant stack: warm-up no-op up (not a figure)", 0, `${inst.id}.${MEASURED}`, [], own(inst));
        }
        for (let run = 1; run <= this.scale.runs; run++) {
            for (const inst of group) {
                await this.up(inst, "tenant stack: no-op up", run, `${inst.id}.${MEASURED}`, [], own(inst));
                this.writeTenant(inst.id, MEASURED, BASE_MAX_REPLICAS + run);
                await this.up(inst, "tenant stack: one-tenant change", run, `${inst.id}.${MEASURED}`, [], own(inst));
            }
        }
        for (const inst of group) {
            const rec = this.installations.find((i) => i.id === inst.id);
            if (rec) {
                rec.checkpointBytes = this.sizes([inst.id, `${inst.id}.${MEASURED}`]);
            }
        }
    }

    async oneStack(inst: Installation): Promise<Record<string, number>> {
        const S = inst.id;
        const names = stackPattern(S, false);
        this.writePlatform(S, tenantNames(inst.tenants), []);
        await this.up(inst, "one stack: up from empty", 1, S, [], names);
        const sizes = this.sizes([S]);
        for (let run = 1; run <= Math.min(this.scale.runs, 2); run++) {
            await this.up(inst, "one stack: no-op up", run, S, [], names);
        }
        this.writePlatform(S, tenantNames(inst.tenants + 1), []);
        await this.up(inst, "one stack: up adding one tenant", 1, S, [], names);
        const after = this.sizes([S]);
        return { [S]: sizes[S], [`${S} (+1 tenant)`]: after[S] };
    }

    async fanOut(inst: Installation): Promise<Record<string, number>> {
        const P = inst.id;
        const names = tenantNames(inst.tenants);
        this.writePlatform(P, [], names);
        for (const t of names) {
            this.writeTenant(P, t);
        }
        const all = stackPattern(P, true);
        const c = ["--tenants", "all", "--concurrency", String(this.scale.concurrency)];
        await this.up(inst, "every stack: up from empty", 1, P, c, all);
        await this.up(inst, "every stack: no-op up", 1, P, c, all);
        this.writeTenant(P, MEASURED, BASE_MAX_REPLICAS + 1);
        await this.up(inst, "tenant stack: one-tenant change", 1, `${P}.${MEASURED}`, [], stackPattern(`${P}.${MEASURED}`, false));
        return this.sizes([P, ...names.map((t) => `${P}.${t}`)]);
    }

    // ------------------------------------------------------------------ everything

    async mainScale(): Promise<void> {
        const loadStart = loadAverage();
        const steps = plan(this.scale);
        this.say(`scale run: work dir ${this.tmp}; ${steps.length} installations: ${steps.map((s) => s.id).join(", ")}`);
        this.checkPrerequisites();
        const versions = this.versions();
        for (const n of this.sh(this.kubectl, ["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]).split(/\s+/).filter(Boolean)) {
            this.baseNamespaces.add(n);
        }
        this.clusterScoped = (await this.render(1)).clusterScoped;
        fs.mkdirSync(this.fileBackend, { recursive: true });
        const write = () => this.writeResults({ loadStart, versions });
        try {
            if (steps.some((s) => s.backend === "s3")) {
                this.s3 = this.startS3();
            }
            if (this.scale.interleave) {
                await this.runInterleaved(steps.filter((s) => s.phase === "targets"), write);
            }
            for (const inst of steps.filter((s) => !this.scale.interleave || s.phase !== "targets")) {
                const rec: (typeof this.installations)[number] = { ...inst };
                this.installations.push(rec);
                if (this.scale.until && Date.now() + inst.minutes * 60000 > this.scale.until) {
                    rec.skipped = `not run: about ${Math.round(inst.minutes)} min would end after --until`;
                    this.say(`${inst.id} ${rec.skipped}`);
                    continue;
                }
                this.backendKind = inst.backend;
                this.say(`${inst.id}: ${inst.deployed}, ${inst.backend} backend`);
                try {
                    rec.checkpointBytes = await (inst.phase === "targets" ? this.targets(inst) : inst.phase === "one-stack" ? this.oneStack(inst) : this.fanOut(inst));
                } catch (err) {
                    rec.failed = (err as Error).message;
                    this.failures.push(`${inst.id}: ${rec.failed}`);
                    this.say(`FAILED ${inst.id}: ${rec.failed}`);
                }
                try {
                    await this.purgeAll(inst);
                } catch (err) {
                    this.failures.push(`${inst.id} purge: ${(err as Error).message}`);
                }
                write();
            }
        } finally {
            this.stopS3();
            this.cleanup();
        }
        write();
        if (this.failures.length) {
            this.say(`${this.failures.length} failure(s); logs kept in ${this.logDir}`);
            process.exitCode = 1;
        } else if (!this.opts.keep) {
            fs.rmSync(this.tmp, { recursive: true, force: true });
        }
    }

    async runInterleaved(targets: Installation[], write: () => void): Promise<void> {
        for (const backend of this.scale.backends) {
            const group = targets.filter((t) => t.backend === backend);
            if (!group.length) {
                continue;
            }
            const minutes = group.length * (1 + 0.5 * this.scale.runs) + 1;
            for (const inst of group) {
                this.installations.push({ ...inst, deployed: `${inst.deployed}; side by side with the other counts' (namespace prefix ${prefixOf(inst)}), runs interleaved` });
            }
            if (this.scale.until && Date.now() + minutes * 60000 > this.scale.until) {
                group.forEach((g) => (this.installations.find((i) => i.id === g.id)!.skipped = `not run: about ${Math.round(minutes)} min would end after --until`));
                continue;
            }
            this.backendKind = backend;
            this.say(`interleaved targets on the ${backend} backend: ${group.map((g) => g.id).join(", ")}`);
            try {
                await this.interleavedTargets(group);
            } catch (err) {
                const msg = (err as Error).message;
                group.forEach((g) => (this.installations.find((i) => i.id === g.id)!.failed = msg));
                this.failures.push(`interleaved targets (${backend}): ${msg}`);
                this.say(`FAILED interleaved targets (${backend}): ${msg}`);
            }
            try {
                await this.purgeAll(group[0]);
            } catch (err) {
                this.failures.push(`interleaved targets (${backend}) purge: ${(err as Error).message}`);
            }
            write();
        }
    }

    writeResults(ctx: { loadStart: number[]; versions: Record<string, string> }): void {
        const results = summarizeScale({
            generatedAt: new Date().toISOString(),
            totalSeconds: round((Date.now() - this.started) / 1000, 1),
            options: this.scale,
            machine: { ...machine(), loadAverageStart: ctx.loadStart, loadAverageEnd: loadAverage() },
            versions: ctx.versions,
            installations: this.installations,
            measurements: this.measurements,
            failures: this.failures,
        });
        fs.mkdirSync(this.scale.out, { recursive: true });
        const base = this.scale.interleave ? "results-scale-interleaved" : "results-scale";
        fs.writeFileSync(path.join(this.scale.out, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
        fs.writeFileSync(path.join(this.scale.out, `${base}.md`), renderScaleMarkdown(results));
        this.say(`wrote ${base}.md and ${base}.json (${results.totalSeconds} s so far)`);
    }
}

/** An interleaved installation's namespace prefix (its PriorityClasses' too, which the purge leaves). */
function prefixOf(inst: Installation): string {
    return `t${inst.tenants}${inst.backend[0]}-`;
}

/** The checkpoint object names of stack `name`, and with `tenants` of its tenant stacks too. */
export function stackPattern(name: string, tenants: boolean): RegExp {
    const q = name.replace(/[.]/g, "\\.");
    return new RegExp(`^${q}${tenants ? "(\\.[a-z0-9-]+)?" : ""}\\.json$`);
}

/** The fan-out prefixes each stack's lines with `[stack] `: the Resources block of each, summed. */
export function perStack(output: string): { total?: number; changes?: number; stacks: number } {
    const by = new Map<string, string[]>();
    for (const line of output.split("\n")) {
        const m = /^\[([^\]\s]+)\] (.*)$/.exec(line);
        const k = m ? m[1] : "";
        (by.get(k) ?? by.set(k, []).get(k)!).push(m ? m[2] : line);
    }
    let total: number | undefined;
    let changes: number | undefined;
    let stacks = 0;
    for (const lines of by.values()) {
        const r = parseResources(`\n${lines.join("\n")}`);
        if (r.total !== undefined) {
            stacks++;
            total = (total ?? 0) + r.total;
            changes = (changes ?? 0) + (r.changes ?? 0);
        }
    }
    return { total, changes, stacks };
}
