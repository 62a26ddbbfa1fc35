// The scale mode's figures (min / median / max per backend, part of the plan, operation and
// tenant count), its two targets, and bench/results-scale.md.
// `ts-node bench/scale-report.ts [results-scale.json]` re-renders the .md beside the .json.
import * as fs from "fs";
import * as path from "path";
import type { Measurement } from "./bench";
import type { Installation, ScaleOptions } from "./scale";
import { Stats, round, stats } from "./lib/stats";

export interface ScaleRaw {
    generatedAt: string;
    totalSeconds: number;
    options: ScaleOptions;
    machine: { cpuModel: string; cores: number; memoryGiB: number; kernel: string; loadAverageStart: number[]; loadAverageEnd: number[] };
    versions: Record<string, string>;
    installations: (Installation & { skipped?: string; failed?: string; checkpointBytes?: Record<string, number> })[];
    measurements: Measurement[];
    failures: string[];
}

export interface ScaleFigure {
    backend: string;
    phase: string;
    op: string;
    tenants: number;
    n: number;
    failed: number;
    seconds?: Stats;
    /** The engine process's lifetime; the rest of `seconds` is npm, ts-node, the driver and its other CLI starts. */
    engineSeconds?: Stats;
    writes?: Stats;
    /** CPU seconds of the operation's whole process tree (npm, driver, engine, program, pack, provider): its work, less swayed by other load than wall time. */
    cpuSeconds?: Stats;
    resources?: number;
    changes?: number;
    stacks?: number;
    foreignShare?: Stats;
}

export interface ScaleTarget {
    name: string;
    backend: string;
    wanted: string;
    measured: string;
    met?: boolean;
    note: string;
}

export interface ScaleResults extends ScaleRaw {
    figures: ScaleFigure[];
    targets: ScaleTarget[];
}

export function summarizeScale(raw: ScaleRaw): ScaleResults {
    const groups = new Map<string, Measurement[]>();
    for (const m of raw.measurements) {
        const k = `${m.figure}\u0000${m.tenants}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(m);
    }
    const figures: ScaleFigure[] = [];
    for (const [k, ms] of groups) {
        const [figure, tenants] = k.split("\u0000");
        const [backend, phase, op] = figure.split(" · ");
        if (/not a figure/.test(op)) {
            continue;
        }
        const good = ms.filter((m) => m.ok);
        figures.push({
            backend,
            phase,
            op,
            tenants: Number(tenants),
            n: good.length,
            failed: ms.length - good.length,
            seconds: stats(good.map((m) => m.seconds)),
            engineSeconds: stats(good.map((m) => m.engineSeconds ?? NaN)),
            writes: stats(good.map((m) => m.extra?.checkpointWrites ?? NaN)),
            cpuSeconds: stats(good.map((m) => m.cpuSeconds?.total ?? NaN)),
            resources: good[good.length - 1]?.resources,
            changes: good[good.length - 1]?.changes,
            stacks: good[good.length - 1]?.extra?.stacks,
            foreignShare: stats(good.map((m) => m.foreignShare ?? NaN)),
        });
    }
    return { ...raw, figures, targets: targets(raw, figures) };
}

function find(figures: ScaleFigure[], backend: string, phase: string, op: string, tenants: number): ScaleFigure | undefined {
    return figures.find((f) => f.backend === backend && f.phase === phase && f.op === op && f.tenants === tenants && f.seconds);
}

function targets(raw: ScaleRaw, figures: ScaleFigure[]): ScaleTarget[] {
    const out: ScaleTarget[] = [];
    const counts = [...new Set(figures.filter((f) => f.phase === "targets").map((f) => f.tenants))].sort((a, b) => a - b);
    for (const backend of raw.options.backends) {
        const lo = counts[0];
        const hi = counts[counts.length - 1];
        const a = find(figures, backend, "targets", "tenant stack: one-tenant change", lo);
        const b = find(figures, backend, "targets", "tenant stack: one-tenant change", hi);
        if (a && b && hi !== lo) {
            const ratio = b.seconds!.median / a.seconds!.median;
            const cpu = a.cpuSeconds && b.cpuSeconds ? b.cpuSeconds.median / a.cpuSeconds.median : undefined;
            out.push({
                name: `one-tenant change at ${hi} tenants / at ${lo}`,
                backend,
                wanted: "≤ 1.2×",
                measured: `${ratio.toFixed(2)}× (${b.seconds!.median.toFixed(1)} s / ${a.seconds!.median.toFixed(1)} s, medians of ${b.n} and ${a.n})`,
                met: ratio <= 1.2,
                note: `${cpu === undefined ? "" : `in CPU seconds of the operation's processes ${cpu.toFixed(2)}× (${b.cpuSeconds!.median.toFixed(1)} / ${a.cpuSeconds!.median.toFixed(1)}); `}other processes' share of the CPU ${fmtShare(b.foreignShare)} at ${hi}, ${fmtShare(a.foreignShare)} at ${lo}; range at ${hi}: ${b.seconds!.min.toFixed(1)}–${b.seconds!.max.toFixed(1)} s, at ${lo}: ${a.seconds!.min.toFixed(1)}–${a.seconds!.max.toFixed(1)} s; checkpoint writes ${fmtStats(b.writes)} vs ${fmtStats(a.writes)}`,
            });
        }
        const noops = counts.map((n) => find(figures, backend, "targets", "tenant stack: no-op up", n)).filter((f): f is ScaleFigure => !!f);
        if (noops.length) {
            const worst = noops.reduce((w, f) => (f.seconds!.median > w.seconds!.median ? f : w));
            const engine = worst.engineSeconds?.median;
            out.push({
                name: "no-op up of one tenant stack",
                backend,
                wanted: "< 10 s at any tenant count",
                measured: noops.map((f) => `${f.tenants}: ${f.seconds!.median.toFixed(1)} s`).join(", "),
                met: noops.every((f) => f.seconds!.median < 10),
                note:
                    engine !== undefined
                        ? `slowest median ${worst.seconds!.median.toFixed(1)} s at ${worst.tenants} tenants, of which the engine process (pulumi up) ${engine.toFixed(1)} s and ${(worst.seconds!.median - engine).toFixed(1)} s npm, ts-node, the driver and its other CLI starts`
                        : "",
            });
        }
    }
    return out;
}

function fmtStats(s: Stats | undefined, digits = 1): string {
    if (!s) {
        return "–";
    }
    const f = (x: number) => x.toFixed(digits).replace(/\.0+$/, "");
    return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

function fmtShare(s: Stats | undefined): string {
    return s ? `${Math.round(s.median * 100)} %` : "–";
}

function fmtBytes(b: number | undefined): string {
    if (b === undefined) {
        return "–";
    }
    return b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MB` : `${(b / 1024).toFixed(0)} kB`;
}

export function renderScaleMarkdown(r: ScaleResults): string {
    const L: string[] = [];
    const o = r.options;
    L.push("# Benchmark results: scale (layouts × backends × tenants)");
    L.push("");
    L.push(
        `Generated ${r.generatedAt} by \`npm run bench -- --scale\` (bench/scale.ts) in ${round(r.totalSeconds / 60, 1)} min. ` +
            `Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}; ` +
            `load average (1/5/15 min) ${r.machine.loadAverageStart.join(" / ")} at the start, ${r.machine.loadAverageEnd.join(" / ")} at the end ` +
            `(other work shares the machine: each figure's share of CPU taken by other processes is in results-scale.json, foreignShare). ` +
            `Commit ${r.versions.commit ?? "?"}; Pulumi ${r.versions.pulumiCli ?? "?"}, kubernetes provider ${r.versions.kubernetesProvider ?? "?"}. ` +
            `Options: tenants ${o.tenants.join("/")}, backends ${o.backends.join("/")}, ${o.runs} run(s) of each target figure, concurrency ${o.concurrency}${o.interleave ? "; --interleave: each backend's target installations side by side, their runs in turn after one unmeasured warm-up no-op up each" : ""}.`,
    );
    L.push("");
    L.push("Times are wall seconds of `npm run deploy -- up …` as a user runs it, median (min–max) where there was more than one run; a single figure is one run. " +
        "Checkpoint writes: writes of the stacks' checkpoint objects (`.pulumi/stacks/m2m-platform/<stack>.json`) during the operation — on the file backend the renames landing them (inotify), on S3 the filer's metadata events for those objects (`weed filer.meta.tail`). " +
        "The file backend also copies the old checkpoint to `<stack>.json.bak` before each write (not counted). " +
        "CPU s: CPU seconds of the operation's whole process tree (npm, the driver, the engine, the program, the pack, the provider); other load: the share of the machine's CPU that other processes took meanwhile (median).");
    L.push("");
    if (r.targets.length) {
        L.push("## Targets (tenant stacks)");
        L.push("");
        L.push("| target | backend | wanted | measured | met | notes |");
        L.push("| --- | --- | --- | --- | --- | --- |");
        for (const t of r.targets) {
            L.push(`| ${t.name} | ${t.backend} | ${t.wanted} | ${t.measured} | ${t.met === undefined ? "–" : t.met ? "yes" : "no"} | ${t.note} |`);
        }
        L.push("");
    }
    L.push("## Installations");
    L.push("");
    L.push("| stack | backend | layout | tenants | what was deployed | outcome | checkpoint sizes |");
    L.push("| --- | --- | --- | --- | --- | --- | --- |");
    for (const i of r.installations) {
        const sizes = Object.entries(i.checkpointBytes ?? {});
        const shown =
            sizes.length > 3
                ? `${sizes.slice(0, 2).map(([s, b]) => `${s} ${fmtBytes(b)}`).join(", ")}, … ${sizes.length} stacks, ${fmtBytes(sizes.reduce((a, [, b]) => a + b, 0))} in all`
                : sizes.map(([s, b]) => `${s} ${fmtBytes(b)}`).join(", ");
        L.push(`| ${i.id} | ${i.backend} | ${i.layout} | ${i.tenants} | ${i.deployed} | ${i.skipped ?? (i.failed ? `failed: ${i.failed.slice(0, 200)}` : "measured")} | ${shown || "–"} |`);
    }
    L.push("");
    L.push("## Figures");
    L.push("");
    L.push("| backend | part | operation | tenants | seconds | engine process s | CPU s | other load | checkpoint writes | resources | changes | stacks | runs |");
    L.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const order = ["targets", "one-stack", "fan-out"];
    const sorted = [...r.figures].sort((a, b) => a.backend.localeCompare(b.backend) || order.indexOf(a.phase) - order.indexOf(b.phase) || a.tenants - b.tenants);
    for (const f of sorted) {
        L.push(`| ${f.backend} | ${f.phase} | ${f.op} | ${f.tenants} | ${fmtStats(f.seconds)} | ${fmtStats(f.engineSeconds)} | ${fmtStats(f.cpuSeconds)} | ${fmtShare(f.foreignShare)} | ${fmtStats(f.writes, 0)} | ${f.resources ?? "–"} | ${f.changes ?? "–"} | ${f.stacks ?? "–"} | ${f.n}${f.failed ? ` (+${f.failed} failed)` : ""} |`);
    }
    L.push("");
    const ratios = layoutRatios(r);
    if (ratios.length) {
        L.push("## Ratios within this run");
        L.push("");
        for (const x of ratios) {
            L.push(`- ${x}`);
        }
        L.push("");
    }
    if (r.failures.length) {
        L.push("## Failures");
        L.push("");
        for (const f of r.failures) {
            L.push(`- ${f.slice(0, 800)}`);
        }
        L.push("");
    }
    return `${L.join("\n")}\n`;
}

/** The comparisons the issue asks for, where both figures exist. */
function layoutRatios(r: ScaleResults): string[] {
    const out: string[] = [];
    const med = (backend: string, phase: string, op: string, n: number) => find(r.figures, backend, phase, op, n)?.seconds?.median;
    const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}× (${a.toFixed(1)} s / ${b.toFixed(1)} s)` : undefined);
    for (const backend of r.options.backends) {
        for (const n of r.options.fanOutTenants) {
            const x = ratio(med(backend, "one-stack", "one stack: up adding one tenant", n), med(backend, "fan-out", "tenant stack: one-tenant change", n));
            if (x) {
                out.push(`${backend}, ${n} tenants: one stack's up adding a tenant / a tenant stack's one-tenant change: ${x}`);
            }
            const y = ratio(med(backend, "one-stack", "one stack: no-op up", n), med(backend, "fan-out", "every stack: no-op up", n));
            if (y) {
                out.push(`${backend}, ${n} tenants: one stack's no-op up / every tenant stack's no-op up through the fan-out: ${y}`);
            }
            const z = ratio(med(backend, "fan-out", "tenant stack: one-tenant change", n), med(backend, "targets", "tenant stack: one-tenant change", n));
            if (z) {
                out.push(`${backend}, ${n} tenants: the one-tenant change with every tenant stack deployed / with only the measured one deployed: ${z}`);
            }
        }
        for (const n of r.options.oneStackTenants) {
            const a = ratio(med(backend, "one-stack", "one stack: up adding one tenant", n), med(backend, "targets", "tenant stack: one-tenant change", n));
            if (a) {
                out.push(`${backend}, ${n} tenant(s): one stack's up adding a tenant / a tenant stack's one-tenant change: ${a}`);
            }
            const b = ratio(med(backend, "one-stack", "one stack: no-op up", n), med(backend, "targets", "tenant stack: no-op up", n));
            if (b) {
                out.push(`${backend}, ${n} tenant(s): one stack's no-op up / one tenant stack's no-op up: ${b}`);
            }
            const w = ratio(med("s3", "one-stack", "one stack: up from empty", n), med("file", "one-stack", "one stack: up from empty", n));
            if (w && backend === "s3") {
                out.push(`${n} tenant(s), one stack: up from empty on S3 / on the file backend: ${w}`);
            }
        }
    }
    return out;
}

if (require.main === module) {
    const file = path.resolve(process.argv[2] ?? path.join(__dirname, "results-scale.json"));
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as ScaleRaw;
    fs.writeFileSync(file.replace(/\.json$/, "") + ".md", renderScaleMarkdown(summarizeScale(raw)));
}
