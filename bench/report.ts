// Turns the benchmark's measurements into figures (min / median / max per figure), the
// issue's targets, the tenant table, the policy cost and the profile's explanation, and
// renders bench/results.md. `ts-node bench/report.ts [results.json]` re-renders results.md.
import * as fs from "fs";
import * as path from "path";
import type { Measurement, Options } from "./bench";
import { Stats, round, stats } from "./lib/stats";

export interface Raw {
    generatedAt: string;
    totalSeconds: number;
    clusterStartSeconds?: number;
    options: Options;
    machine: { cpuModel: string; cores: number; memoryGiB: number; kernel: string; loadAverageStart: number[]; loadAverageEnd: number[] };
    versions: Record<string, string>;
    rendered: Record<string, { objects: number; kinds: Record<string, number>; namespaces: number; workloads: number; claims: number }>;
    floorScript: string;
    measurements: Measurement[];
    slowSpecs?: { title: string; seconds: number }[];
    failures: string[];
    profile: Record<string, any>;
}

export interface Figure {
    figure: string;
    tenants: number;
    n: number;
    failed: number;
    seconds?: Stats;
    resources?: number;
    changes?: number;
    engineSeconds?: Stats;
    /** Wall time minus the engine process's lifetime: npm, ts-node, the Automation API's other CLI calls, the driver's summary and outputs. */
    driverSeconds?: Stats;
    rssMiB: Record<string, Stats | undefined>;
    cpuSeconds: Record<string, number>;
    foreignShare?: Stats;
    extra: Record<string, Stats | undefined>;
}

export interface Target {
    name: string;
    target: string;
    unit: string;
    limit: number;
    /** "le" (≤) or "lt" (<). */
    cmp: "le" | "lt";
    measured?: Stats;
    met?: boolean;
    fixed?: Stats;
    fixedMet?: boolean;
    note?: string;
}

export interface Results extends Raw {
    figures: Figure[];
    ratios: Record<string, Stats | undefined>;
    targets: Target[];
    contention: { foreignShare: number; foreignCpuSeconds: number; worstFigure?: string; worstShare: number; top: { comm: string; cpuSeconds: number }[]; contended: boolean };
}

const ROLES = ["engine", "program", "policy", "provider:kubernetes", "driver", "language-host", "provider:random"];

export function summarize(raw: Raw): Results {
    const ok = raw.measurements.filter((m) => m.ok);
    const groups = new Map<string, Measurement[]>();
    for (const m of raw.measurements) {
        const k = `${m.figure}\u0000${m.tenants}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(m);
    }
    const figures: Figure[] = [];
    for (const [k, ms] of groups) {
        const [figure, tenants] = k.split("\u0000");
        if (/^recover/.test(figure)) {
            continue;
        }
        const good = ms.filter((m) => m.ok);
        const rssMiB: Record<string, Stats | undefined> = {};
        const cpuSeconds: Record<string, number> = {};
        for (const role of ROLES) {
            const xs = good.map((m) => m.rssMiB?.[role as keyof typeof m.rssMiB]).filter((x): x is number => x !== undefined);
            if (xs.length) {
                rssMiB[role] = stats(xs);
                cpuSeconds[role] = stats(good.map((m) => m.cpuSeconds?.[role as keyof typeof m.cpuSeconds] ?? 0))!.median;
            }
        }
        if (good.some((m) => m.cpuSeconds?.total !== undefined)) {
            cpuSeconds.total = stats(good.map((m) => m.cpuSeconds?.total ?? 0))!.median;
        }
        const extraKeys = new Set(good.flatMap((m) => Object.keys(m.extra ?? {})));
        figures.push({
            figure,
            tenants: Number(tenants),
            n: good.length,
            failed: ms.length - good.length,
            seconds: stats(good.map((m) => m.seconds)),
            resources: good.find((m) => m.resources !== undefined)?.resources,
            changes: good.length ? Math.max(...good.map((m) => m.changes ?? 0)) : undefined,
            engineSeconds: stats(good.map((m) => m.engineSeconds ?? NaN)),
            driverSeconds: stats(good.map((m) => (m.engineSeconds === undefined ? NaN : m.seconds - m.engineSeconds))),
            rssMiB,
            cpuSeconds,
            foreignShare: stats(good.map((m) => m.foreignShare ?? NaN)),
            extra: Object.fromEntries([...extraKeys].map((x) => [x, stats(good.map((m) => m.extra?.[x] ?? NaN))])),
        });
    }

    const tenants = raw.options.tenants;
    const first = tenants[0];
    const last = tenants[tenants.length - 1];
    const by = (figure: string, n: number) => new Map(ok.filter((m) => m.figure === figure && m.tenants === n).map((m) => [m.run, m]));
    const paired = (a: Map<number, Measurement>, b: Map<number, Measurement>, f: (x: Measurement, y: Measurement) => number) =>
        stats([...a.keys()].filter((r) => b.has(r)).map((r) => f(a.get(r)!, b.get(r)!)));
    const ratios: Record<string, Stats | undefined> = {};
    for (const p of ["", "fixed: "]) {
        for (const n of tenants) {
            const up = by(`${p}up from empty, with the pack`, n);
            const floor = by("floor", n);
            ratios[`${p}up from empty / floor, ${n}`] = paired(up, floor, (a, b) => a.seconds / b.seconds);
            ratios[`${p}up from empty without the pack / floor, ${n}`] = paired(by(`${p}up from empty, without the pack`, n), floor, (a, b) => a.seconds / b.seconds);
            const pv = by(`${p}preview from empty, with the pack`, n);
            const pvn = by(`${p}preview from empty, without the pack`, n);
            ratios[`${p}policy seconds, ${n}`] = paired(pv, pvn, (a, b) => a.seconds - b.seconds);
            ratios[`${p}policy share, ${n}`] = paired(pv, pvn, (a, b) => (a.seconds - b.seconds) / a.seconds);
            ratios[`${p}policy ms per resource, ${n}`] = paired(pv, pvn, (a, b) => ((a.seconds - b.seconds) * 1000) / (a.resources ?? b.resources ?? NaN));
            ratios[`${p}preview ${n} / preview ${first}`] = paired(pv, by(`${p}preview from empty, with the pack`, first), (a, b) => a.seconds / b.seconds);
            ratios[`${p}up ${n} / up ${first}`] = paired(up, by(`${p}up from empty, with the pack`, first), (a, b) => a.seconds / b.seconds);
        }
    }
    for (const [k, v] of Object.entries(ratios)) {
        if (!v) {
            delete ratios[k];
        }
    }

    const fig = (figure: string, n: number) => figures.find((f) => f.figure === figure && f.tenants === n);
    const cmpOk = (t: Target, s?: Stats) => (s ? (t.cmp === "le" ? s.median <= t.limit : s.median < t.limit) : undefined);
    const targets: Target[] = [
        {
            name: "up of dev from empty vs the kubectl floor",
            target: "≤ 1.5× the floor",
            unit: "×",
            limit: 1.5,
            cmp: "le",
            measured: ratios[`up from empty / floor, ${first}`],
            fixed: ratios[`fixed: up from empty / floor, ${first}`],
        },
        { name: "no-op up of dev", target: "≤ 10 s", unit: "s", limit: 10, cmp: "le", measured: fig("no-op up, with the pack", first)?.seconds, fixed: fig("fixed: no-op up, with the pack", first)?.seconds },
        {
            name: `preview with ${last} tenants vs with ${first}`,
            target: "≤ 5× (50 tenants vs 1)",
            unit: "×",
            limit: 5,
            cmp: "le",
            measured: ratios[`preview ${last} / preview ${first}`],
            fixed: ratios[`fixed: preview ${last} / preview ${first}`],
            note: last === 50 && first === 1 ? undefined : `measured at ${last} vs ${first} tenants (this run's largest and smallest)`,
        },
        {
            name: "policy pack's share of preview time (dev)",
            target: "≤ 20 %",
            unit: "%",
            limit: 0.2,
            cmp: "le",
            measured: ratios[`policy share, ${first}`],
            fixed: ratios[`fixed: policy share, ${first}`],
        },
        { name: "npm test wall time", target: "< 20 s", unit: "s", limit: 20, cmp: "lt", measured: fig("npm test", 0)?.seconds },
    ];
    for (const t of targets) {
        t.met = cmpOk(t, t.measured);
        t.fixedMet = cmpOk(t, t.fixed);
    }

    let foreign = 0;
    let capacity = 0;
    let worst: Measurement | undefined;
    const top = new Map<string, number>();
    for (const m of raw.measurements) {
        if (m.foreignCpuSeconds === undefined) {
            continue;
        }
        foreign += m.foreignCpuSeconds;
        capacity += m.seconds * raw.machine.cores;
        if (!worst || (m.foreignShare ?? 0) > (worst.foreignShare ?? 0)) {
            worst = m;
        }
        for (const f of m.foreignTop ?? []) {
            top.set(f.comm, (top.get(f.comm) ?? 0) + f.cpuSeconds);
        }
    }
    const share = capacity ? foreign / capacity : 0;
    return {
        ...raw,
        figures,
        ratios,
        targets,
        contention: {
            foreignShare: round(share, 3),
            foreignCpuSeconds: round(foreign, 1),
            worstFigure: worst ? `${worst.figure} (${worst.tenants} tenants, run ${worst.run})` : undefined,
            worstShare: round(worst?.foreignShare ?? 0, 3),
            top: [...top.entries()].map(([comm, cpuSeconds]) => ({ comm, cpuSeconds: round(cpuSeconds, 1) })).sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, 6),
            contended: share > 0.1,
        },
    };
}

// ---------------------------------------------------------------------------------------- markdown

const f1 = (x?: number) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));
const f2 = (x?: number) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2));
const pct = (x?: number) => (x === undefined || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(0)} %`);
const mmm = (s?: Stats, f: (x?: number) => string = f1) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : "–");
const cell = (s?: Stats, f: (x?: number) => string = f1) => (s ? [f(s.min), f(s.median), f(s.max)] : ["–", "–", "–"]);
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

function table(head: string[], rows: string[][]): string {
    return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function renderMarkdown(r: Results): string {
    const tenants = r.options.tenants;
    const first = tenants[0];
    const fig = (figure: string, n: number) => r.figures.find((f) => f.figure === figure && f.tenants === n);
    const sec = (figure: string, n: number) => fig(figure, n)?.seconds;
    const out: string[] = [];
    const runs = r.options.runs;

    out.push("# Benchmark results");
    out.push("");
    out.push(
        `Written by \`npm run bench\`${r.options.quick ? " in --quick mode (1 run, fewer tenant counts: a smoke test, not results)" : ""} on ${r.generatedAt.slice(0, 10)}: ` +
            `${plural(runs, "run")} of every figure, tenants ${tenants.join(", ")}; the whole bench took ${f1(r.totalSeconds / 60)} min` +
            (r.clusterStartSeconds ? ` after its local cluster started (${f1(r.clusterStartSeconds)} s)` : "") +
            `. Each figure is min / median / max over its runs; every ratio is taken run by run between figures measured minutes apart in the same run, then summarised. Commit ${r.versions.commit}.`,
    );
    if (r.failures.length) {
        out.push("");
        out.push(`**${plural(r.failures.length, "failure")}** (the figures exclude them):`);
        for (const f of r.failures) {
            out.push(`- ${f.replace(/\n/g, " ").slice(0, 400)}`);
        }
    }

    out.push("");
    out.push("## Targets");
    out.push("");
    out.push(
        table(
            ["target (issue 10)", "wanted", "measured: median (min–max)", "met", "with the fixes below", "met"],
            r.targets.map((t) => {
                const f = t.unit === "%" ? pct : t.unit === "×" ? (x?: number) => (x === undefined ? "–" : `${f2(x)}×`) : (x?: number) => (x === undefined ? "–" : `${f1(x)} s`);
                const yes = (m?: boolean) => (m === undefined ? "–" : m ? "yes" : "**no**");
                return [t.name + (t.note ? ` (${t.note})` : ""), t.target, mmm(t.measured, f), yes(t.met), t.fixed ? mmm(t.fixed, f) : "–", yes(t.fixedMet)];
            }),
        ),
    );
    out.push("");
    out.push(
        '"With the fixes" is the same operation with the three changes the profile below points at, applied from outside the program so that they can be measured: the program run by ts-node without type-checking (`PULUMI_NODEJS_TRANSPILE_ONLY=true`; `npm test` type-checks it), the policy pack compiled to JavaScript before the engine loads it, and `pulumi.com/skipAwait` on every Service (`bench/whatif`).',
    );

    out.push("");
    out.push("## Machine, versions, contention");
    out.push("");
    const m = r.machine;
    const v = r.versions;
    out.push(
        table(
            ["", ""],
            [
                ["machine", `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}`],
                ["load average at start / end", `${m.loadAverageStart.join(" ")} / ${m.loadAverageEnd.join(" ")}`],
                ["Pulumi CLI", v.pulumiCli],
                ["Node.js language host", v.nodejsLanguageHost],
                ["kubernetes provider", v.kubernetesProvider],
                ["random / docker providers", `${v.randomProvider} / ${v.dockerProvider}`],
                ["SDKs", `@pulumi/pulumi ${v["@pulumi/pulumi"]}, @pulumi/kubernetes ${v["@pulumi/kubernetes"]}, @pulumi/policy ${v["@pulumi/policy"]}, TypeScript ${v.typescript}, ts-node ${v["ts-node"]}`],
                ["Node.js / npm", `${v.node} / ${v.npm}`],
                ["cluster", `Kubernetes ${v.kubernetesServer} (kubectl ${v.kubectl}), etcd ${v.etcd}, kwok ${v.kwok} with 3 fake nodes, on loopback; the bench's own, on ports of its own`],
                ["policy pack", v.policyPack],
            ],
        ),
    );
    out.push("");
    const c = r.contention;
    out.push(
        `While the bench ran, processes outside it and its cluster used ${pct(c.foreignShare)} of the machine's CPU (${f1(c.foreignCpuSeconds)} CPU-seconds; ` +
            `worst during ${c.worstFigure ?? "–"}: ${pct(c.worstShare)}; mostly ${c.top.map((t) => `\`${t.comm}\` ${f1(t.cpuSeconds)} s`).join(", ") || "nothing"}). ` +
            (c.contended
                ? "**The machine was shared with other work** (other engineers' `pulumi`, `node` and cluster processes): absolute times are inflated and noisy, the spread of each figure shows by how much; the ratios pair figures from the same run and are steadier. Each measurement's share is in results.json (`foreignShare`)."
                : "The machine was essentially idle otherwise."),
    );

    out.push("");
    out.push("## Figures");
    out.push("");
    const order = (f: Figure) => {
        const i = [
            "floor",
            "up from empty, with the pack",
            "up from empty, without the pack",
            "no-op up, with the pack",
            "no-op up, without the pack",
            "no-op preview, with the pack",
            "preview from empty, with the pack",
            "preview from empty, without the pack",
            "destroy",
            "purge (after destroy)",
            "purge (floor)",
        ].indexOf(f.figure.replace(/^fixed: /, ""));
        return (f.figure.startsWith("fixed: ") ? 100 : 0) + (i < 0 ? 50 : i);
    };
    const engineFigures = r.figures.filter((f) => !/^register|^npm test|^tsc|profile/.test(f.figure)).sort((a, b) => order(a) - order(b) || a.tenants - b.tenants);
    out.push(
        table(
            ["figure", "tenants", "resources", "min s", "median s", "max s", "engine process s", "driver s", "CPU s", "other work's CPU share", "runs"],
            engineFigures.map((f) => [
                f.figure,
                String(f.tenants),
                f.resources !== undefined ? String(f.resources) : "–",
                ...cell(f.seconds),
                f1(f.engineSeconds?.median),
                f1(f.driverSeconds?.median),
                f1(f.cpuSeconds.total),
                pct(f.foreignShare?.median),
                `${f.n}${f.failed ? ` (+${f.failed} failed)` : ""}`,
            ]),
        ),
    );
    out.push("");
    out.push(
        "Every engine figure is the wall time of `npm run deploy -- <op> --stack bench-…` (the driver: npm, ts-node, the Automation API, the engine, and the driver's summary and outputs), from an empty cluster where it says so; " +
            '"engine process" is how long the `pulumi` process itself ran and "driver" the rest of the wall time (npm, ts-node, the Automation API\'s other CLI calls such as `stack select` and `stack output`, the summary); "CPU s" is the CPU time of every process of the operation (engine, program, pack, providers, driver), and "other work\'s CPU share" how much of the machine processes outside the bench took meanwhile (medians). The floor is the same objects (rendered by the program under the harness\'s mocks, as the cluster suite renders them) applied by `kubectl apply --server-side`, then `kubectl rollout status` until every Deployment and StatefulSet is rolled out and a wait until every claim is Bound (script below). ' +
            "`destroy` removes the workloads and keeps the namespaces that hold claims, by design; the purge (`kubectl delete namespace … --wait`) is timed separately. A no-op figure reports how many changes it made: " +
            noopChanges(r, first) +
            ".",
    );

    out.push("");
    out.push("## Tenants");
    out.push("");
    const rows: string[][] = [];
    for (const p of ["", "fixed: "]) {
        for (const n of tenants) {
            const pv = fig(`${p}preview from empty, with the pack`, n);
            const up = fig(`${p}up from empty, with the pack`, n);
            if (!pv && !up) {
                continue;
            }
            rows.push([
                `${p ? "fixed, " : ""}${n}`,
                String(up?.resources ?? pv?.resources ?? "–"),
                mmm(pv?.seconds),
                mmm(r.ratios[`${p}preview ${n} / preview ${first}`], f2),
                mmm(up?.seconds),
                mmm(r.ratios[`${p}up ${n} / up ${first}`], f2),
                mmm(r.ratios[`${p}up from empty / floor, ${n}`], f2),
                mmm(up?.rssMiB.engine, (x) => f1(x)),
                mmm(up?.rssMiB.program, (x) => f1(x)),
                mmm(up?.rssMiB.policy, (x) => f1(x)),
                mmm(up?.rssMiB["provider:kubernetes"], (x) => f1(x)),
            ]);
        }
    }
    out.push(
        table(
            ["tenants", "resources", "preview from empty s", `× ${first} tenant`, "up from empty s", `× ${first} tenant`, "up / floor", "engine peak RSS MiB", "program peak RSS MiB", "pack peak RSS MiB", "provider peak RSS MiB"],
            rows,
        ),
    );
    out.push("");
    out.push(growthText(r));

    out.push("");
    out.push("## Policy evaluation cost");
    out.push("");
    const prow: string[][] = [];
    for (const p of ["", "fixed: "]) {
        for (const n of tenants) {
            const s = r.ratios[`${p}policy seconds, ${n}`];
            if (!s) {
                continue;
            }
            prow.push([
                `${p ? "fixed, " : ""}${n}`,
                String(fig(`${p}preview from empty, with the pack`, n)?.resources ?? "–"),
                mmm(sec(`${p}preview from empty, with the pack`, n)),
                mmm(sec(`${p}preview from empty, without the pack`, n)),
                mmm(s),
                mmm(r.ratios[`${p}policy ms per resource, ${n}`], (x) => f1(x)),
                mmm(r.ratios[`${p}policy share, ${n}`], pct),
            ]);
        }
    }
    out.push(table(["tenants", "resources", "preview with the pack s", "without s", "difference s", "ms per resource", "share of preview"], prow));
    out.push("");
    out.push(policyText(r));

    out.push("");
    out.push("## The unit layer");
    out.push("");
    const unit = r.figures.filter((f) => /^register|^npm test|^tsc/.test(f.figure));
    out.push(
        table(
            ["figure", "resources", "min s", "median s", "max s", "process s (median)"],
            unit.map((f) => [f.figure, f.resources !== undefined ? String(f.resources) : "–", ...cell(f.seconds, f2), f.extra.processSeconds ? f2(f.extra.processSeconds.median) : "–"]),
        ),
    );
    out.push("");
    out.push(
        "Registering a stack under mocks is `captureStack` of test/harness.ts in a fresh Node.js process (`bench/register.ts`): the seconds are the capture itself, the process seconds add starting Node.js, ts-node (transpile-only) and loading the SDKs. `npm test` is its wall time (`tsc --noEmit` under strict, then every mocha spec)" +
            (fig("npm test", 0)?.extra.passing ? `; ${fig("npm test", 0)!.extra.passing!.median} specs passed` : "") +
            ".",
    );

    out.push("");
    out.push(explain(r));

    out.push("");
    out.push("## Method");
    out.push("");
    out.push(
        "`npm run bench` (`bench/run.sh`) puts the toolchain on PATH, starts a local cluster of its own (state in `$BENCH_CLUSTER_DIR`, ports 16443/33790/33800/20257/20259/20247 unless `BENCH_*_PORT` say otherwise, no dockerd: kwok nodes pull no images) and stops it at the end. " +
            "The engine runs on a file backend in a temp folder with stacks `bench-t<N>` (Pulumi.bench-*.yaml, copies of Pulumi.dev.yaml with N tenants, removed afterwards). " +
            "Each run measures, per tenant count: the floor and its purge, a preview from empty with and without the pack (the order alternating between runs), `up` from empty, for the smallest count a no-op `up` and `preview` and an `up` without the pack, then `destroy` and the purge; then the fixed variant. " +
            "Peak memory is the VmHWM of each process, sampled from /proc every 250 ms with the CPU time of every process of the operation and of everything else on the machine. " +
            "The profile is one extra run of each operation through the CLI with `-v=9 --logtostderr` (the engine's timeline) and a V8 CPU profile of every Node.js process (`bench/lib/cpuprof.js`, preloaded through NODE_OPTIONS).",
    );
    out.push("");
    out.push("The floor, for the dev stack:");
    out.push("");
    out.push("```sh");
    out.push(r.floorScript);
    out.push("```");
    out.push("");
    return `${out.join("\n")}\n`;
}

function noopChanges(r: Results, first: number): string {
    const parts: string[] = [];
    for (const name of ["no-op up, with the pack", "no-op preview, with the pack", "fixed: no-op up, with the pack"]) {
        const f = r.figures.find((x) => x.figure === name && x.tenants === first);
        if (f) {
            parts.push(`${name} ${f.changes ?? "?"}`);
        }
    }
    return parts.join(", ") || "none measured";
}

function growthText(r: Results): string {
    const t = r.options.tenants;
    const first = t[0];
    const last = t[t.length - 1];
    if (first === last) {
        return "";
    }
    const fig = (figure: string, n: number) => r.figures.find((f) => f.figure === figure && f.tenants === n);
    const pv1 = fig("preview from empty, with the pack", first);
    const pvN = fig("preview from empty, with the pack", last);
    const up1 = fig("up from empty, with the pack", first);
    const upN = fig("up from empty, with the pack", last);
    const res1 = up1?.resources ?? pv1?.resources;
    const resN = upN?.resources ?? pvN?.resources;
    if (!res1 || !resN || !pv1?.seconds || !pvN?.seconds) {
        return "";
    }
    const perTenant = (a?: Stats, b?: Stats) => (a && b ? (b.median - a.median) / (last - first) : NaN);
    const rss = (f?: Figure, role = "engine") => f?.rssMiB[role]?.median;
    const services = (n: number) => r.rendered[String(n)]?.kinds?.Service;
    const parallel = profileOf(r, "up from empty")?.engineLog?.parallel;
    const floorText =
        services(last) && parallel
            ? ` At ${last} tenants the program has ${services(last)} Services; at 10 s each in the provider's await and ${parallel} at a time, they alone keep an up busy for at least ${f1((services(last)! * 10) / parallel)} s, which is most of its growth; with the Services' await skipped (the fixed rows) up grows by ${f2(perTenant(fig("fixed: up from empty, with the pack", first)?.seconds, fig("fixed: up from empty, with the pack", last)?.seconds))} s per tenant.`
            : "";
    return (
        `From ${first} to ${last} tenants the stack grows from ${res1} to ${resN} resources (${f1((resN - res1) / (last - first))} per tenant). ` +
        `Preview grows by ${f2(perTenant(pv1.seconds, pvN.seconds))} s per tenant (${f1(((pvN.seconds.median - pv1.seconds.median) * 1000) / (resN - res1))} ms per added resource), ` +
        `up by ${f2(perTenant(up1?.seconds, upN?.seconds))} s per tenant (${f1((((upN?.seconds?.median ?? NaN) - (up1?.seconds?.median ?? NaN)) * 1000) / (resN - res1))} ms per added resource); ` +
        `the engine's peak RSS goes from ${f1(rss(up1))} to ${f1(rss(upN))} MiB, the program's from ${f1(rss(up1, "program"))} to ${f1(rss(upN, "program"))} MiB, the pack's from ${f1(rss(up1, "policy"))} to ${f1(rss(upN, "policy"))} MiB: each grows linearly with the resources on top of a fixed start-up share that dominates the small stacks.` +
        floorText
    );
}

/** A profiled run by the start of its name ("up from empty", "fixed: no-op up", …). */
function profileOf(r: Results, prefix: string): any {
    return Object.entries(r.profile).find(([k]) => k.startsWith(prefix))?.[1];
}

function phaseOf(p: any, start: string): number | undefined {
    return (p?.engineLog?.phases ?? []).find((x: any) => x.name.startsWith(start))?.seconds;
}

function cpuOf(p: any, role: string, category?: string): number | undefined {
    const proc = (p?.cpu ?? []).find((x: any) => x.role === role);
    return category ? proc?.categories.find((k: any) => k.category === category)?.seconds : proc?.cpuSeconds;
}

function policyCalls(p: any): { boot?: number; perResource: number; n: number; stack?: number } {
    const calls: { method: string; n: number; totalSeconds: number }[] = p?.engineLog?.policyCalls ?? [];
    const per = calls.filter((c) => c.method === "Analyze" || c.method === "Remediate");
    return {
        boot: phaseOf(p, "policy pack boot"),
        perResource: per.reduce((a, c) => a + c.totalSeconds, 0),
        n: per.find((c) => c.method === "Analyze")?.n ?? 0,
        stack: calls.find((c) => c.method === "AnalyzeStack")?.totalSeconds,
    };
}

function policyText(r: Results): string {
    const t = r.options.tenants;
    const first = t[0];
    const last = t[t.length - 1];
    const fig = (figure: string, n: number) => r.figures.find((f) => f.figure === figure && f.tenants === n);
    const parts = [
        "Preview with the pack minus without charges the pack with everything it makes the engine do: start the analyzer plugin and load the pack (before the program starts), one `Remediate` and one `Analyze` call per resource on the engine's serial step path, and one `AnalyzeStack` at the end.",
    ];
    const cpu1 = fig("preview from empty, with the pack", first)?.cpuSeconds.policy;
    const cpuN = fig("preview from empty, with the pack", last)?.cpuSeconds.policy;
    const res1 = fig("preview from empty, with the pack", first)?.resources;
    const resN = fig("preview from empty, with the pack", last)?.resources;
    if (cpu1 !== undefined && cpuN !== undefined && res1 && resN && resN > res1) {
        parts.push(
            `Measured as CPU, which the other work on the machine disturbs less than wall time: the pack's process used ${f1(cpu1)} CPU-seconds in a preview of ${res1} resources and ${f1(cpuN)} in one of ${resN}, ${f1(((cpuN - cpu1) * 1000) / (resN - res1))} ms per added resource; the rest is its start.`,
        );
    }
    for (const [label, prefix] of [
        [`the profiled up of ${first === 1 ? "dev" : `${first} tenants`}`, "up from empty"],
        [`the profiled preview of ${last} tenants`, `preview from empty, ${last} tenants, with`],
        ["the profiled up with the fixes", "fixed: up from empty"],
    ]) {
        const c = policyCalls(profileOf(r, prefix));
        if (c.n) {
            parts.push(
                `In ${label} the pack's start took ${f1(c.boot)} s, its ${c.n} per-resource calls ${f2(c.perResource)} s together (${f1((c.perResource * 1000) / c.n)} ms per resource)` +
                    (c.stack !== undefined ? ` and AnalyzeStack ${f2(c.stack)} s` : "") +
                    ".",
            );
        }
    }
    return parts.join(" ");
}

/** The measured explanation of what each operation spends its time on, from the profiled runs. */
function explain(r: Results): string {
    const out: string[] = ["## Where the time goes (profile)", ""];
    const entries = Object.entries(r.profile);
    if (!entries.length) {
        out.push("No profile was taken (--no-profile).");
        return out.join("\n");
    }
    for (const [name, p] of entries) {
        const log = p.engineLog;
        out.push(`### ${name}`);
        out.push("");
        out.push(`\`pulumi ${p.op}\` ${p.seconds} s under the profiler (${p.resources ?? "?"} resources${p.changes !== undefined ? `, ${p.changes} changes` : ""}); the engine's timeline:`);
        out.push("");
        out.push(table(["phase", "from s", "to s", "seconds"], (log?.phases ?? []).map((ph: any) => [ph.name, f2(ph.start), f2(ph.end), f2(ph.seconds)])));
        out.push("");
        if (log?.byType?.length && log.byType.some((t: any) => t.sumSeconds > 0.5)) {
            out.push(
                `Provider calls by type (create/update and the provider's await; parallelism ${log.parallel ?? "?"}, at most ${log.maxInFlight} at once, ${f1(log.secondsAtParallelLimit)} s with every slot taken):`,
            );
            out.push("");
            out.push(table(["type", "n", "median s", "max s", "sum s"], log.byType.slice(0, 6).map((t: any) => [t.type, String(t.n), f2(t.medianSeconds), f2(t.maxSeconds), f2(t.sumSeconds)])));
            out.push("");
        }
        if (log?.criticalPath?.length) {
            out.push(
                "Critical path (each resource waited for the one above it; engine wait is the time between its inputs resolving and the provider call: checks, the pack's calls and a free parallel slot):",
            );
            out.push("");
            out.push(
                table(
                    ["resource", "inputs ready s", "engine wait s", "of which queued", "check + policy", "state write + worker", "provider s", "done s"],
                    log.criticalPath.map((s: any) => [s.key.replace(/^kubernetes:/, ""), f2(s.start), f2(s.engineWait), f2(s.queued), f2(s.checkAndPolicy), f2(s.persistAndSlot), f2(s.provider), f2(s.end)]),
                ),
            );
            out.push("");
            const w = log.engineWaitMedians;
            if (w) {
                out.push(
                    `Over all ${log.steps} steps, the median engine wait was ${f2(w.total)} s: ${f2(w.queued)} s queued for the step generator, ${f2(w.checkAndPolicy)} s of Check and policy calls, ${f2(w.persistAndSlot)} s of state write and worker.`,
                );
                out.push("");
            }
        }
        const cpu = (p.cpu ?? []).filter((x: any) => x.role === "program" || x.role === "policy");
        if (cpu.length) {
            out.push("CPU of the Node.js processes (V8 profile):");
            out.push("");
            out.push(
                table(
                    ["process", "alive s", "CPU s", "TypeScript compiler", "module loading", "garbage collection", "its own code", "SDK + gRPC"],
                    cpu.map((x: any) => {
                        const c = (name: string) => x.categories.find((k: any) => k.category === name)?.seconds ?? 0;
                        const own = x.role === "policy" ? c("the policy pack's code") + c("@pulumi/policy") : c("the program's code") + c("@pulumi/kubernetes");
                        return [
                            x.role === "policy" ? "policy pack" : "program",
                            f1(x.lifeSeconds),
                            f1(x.cpuSeconds),
                            f1(c("TypeScript compiler (ts-node)") + c("ts-node")),
                            f1(c("Node.js internals (module loader, fs, streams)")),
                            f1(c("garbage collection")),
                            f1(own),
                            f1(c("@pulumi/pulumi SDK") + c("gRPC / protobuf")),
                        ];
                    }),
                ),
            );
            out.push("");
        }
    }
    out.push(missedText(r));
    return out.join("\n");
}

function missedText(r: Results): string {
    const up = profileOf(r, "up from empty");
    const noop = profileOf(r, "no-op up");
    const fixedUp = profileOf(r, "fixed: up from empty");
    const fixedNoop = profileOf(r, "fixed: no-op up");
    const first = r.options.tenants[0];
    const fig = (figure: string, n = first) => r.figures.find((f) => f.figure === figure && f.tenants === n);
    const target = (prefix: string) => r.targets.find((t) => t.name.startsWith(prefix));
    const ts = (p: any, role: string) => f1(cpuOf(p, role, "TypeScript compiler (ts-node)"));
    const boot = (p: any) => (phaseOf(p, "engine start") ?? 0) + (phaseOf(p, "policy pack boot") ?? 0) + (phaseOf(p, "program start") ?? 0);
    const out = ["### Why the missed targets are missed", ""];
    if (!r.targets.some((t) => t.met === false)) {
        out.push("Every target with a measurement is met.");
        return out.join("\n");
    }
    const lines: string[] = [];

    // 1. Start-up: the pack, then the program, both type-checked by ts-node.
    if (up) {
        lines.push(
            `- **Start-up, before the first resource (the program's and the pack's).** In the profiled up from empty the engine starts the policy pack and waits for it (${f1(phaseOf(up, "policy pack boot"))} s), then starts the program (${f1(phaseOf(up, "program start"))} s until its first registration): ${f1(boot(up))} s before any resource exists. ` +
                `Both are TypeScript that ts-node type-checks as it loads them: the program's process spent ${ts(up, "program")} CPU-seconds in the TypeScript compiler, the pack's ${ts(up, "policy")}. ` +
                "The Pulumi Node.js runtime type-checks a TypeScript program unless `PULUMI_NODEJS_TRANSPILE_ONLY=true` (or `noCheck` in the tsconfig it uses), and `@pulumi/pulumi`'s policy-pack runner (`cmd/run-policy-pack`) always registers ts-node with `typeCheck: true`, so only a pack shipped as JavaScript escapes it; `npm test` type-checks both anyway. " +
                (fixedUp
                    ? `With both fixes the same start took ${f1(boot(fixedUp))} s (pack ${f1(phaseOf(fixedUp, "policy pack boot"))} s, program ${f1(phaseOf(fixedUp, "program start"))} s, of which ${ts(fixedUp, "program")} CPU-seconds of transpiling; the rest is loading Node.js, @pulumi/pulumi and @pulumi/kubernetes, which precompiling the program to JavaScript would also spare the compiler's share of).`
                    : ""),
        );
    }

    // 2. Services: the provider's 10 s settle, and the engine's parallelism.
    const svc = up?.engineLog?.byType?.find((t: any) => t.type === "kubernetes:core/v1:Service");
    if (svc && svc.medianSeconds > 5) {
        const path = (p: any) => (p?.engineLog?.criticalPath ?? []).map((x: any) => `${x.key.split("::").pop()} (${f1(x.engineWait)} s in the engine, ${f1(x.provider)} s in the provider)`).join(" → ");
        lines.push(
            `- **Services: the provider's own await, multiplied by the engine's parallelism.** The ${svc.n} Services took ${f1(svc.medianSeconds)} s each in the provider (median; ${f1(svc.sumSeconds)} s in all); no other object took more than a few seconds. ` +
                "pulumi-kubernetes 4.25's Service awaiter (`pkg/await/service.go`) reports a Service ready only after its Endpoints have been left unchanged for 10 s (`time.Sleep(10 * time.Second)` before it marks them settled), whether or not any Pod backs it: that is the provider's cost, with no kubectl equivalent. " +
                `The engine runs at most ${up.engineLog.parallel ?? "?"} provider calls at once (its default, 4 × GOMAXPROCS: 8 on 2 cores); Services held every slot for ${f1(up.engineLog.secondsAtParallelLimit)} s, and meanwhile the engine did not even take up the registrations of the Deployments and StatefulSets those Services select. ` +
                `Critical path of the profiled up: ${path(up)}. ` +
                "The program can skip the wait with `pulumi.com/skipAwait: \"true\"` on its Services (their readiness is their workloads', which stay awaited); raising the driver's parallelism would only overlap the 10 s sleeps." +
                (fixedUp ? ` With it, the critical path became: ${path(fixedUp)}.` : ""),
        );
    }

    // 3. The engine's per-resource cost, and the program's dependency chains.
    const w = (fixedUp ?? up)?.engineLog?.engineWaitMedians;
    if (w) {
        const chain = (fixedUp ?? up).engineLog.criticalPath ?? [];
        lines.push(
            `- **The engine's per-resource cost (the engine's own), on the program's dependency chains.** Between a resource's inputs resolving and its provider call the engine spent a median ${f2(w.total)} s${fixedUp ? " in the run with the fixes" : ""}: ${f2(w.queued)} s before its step generator, which takes registrations one at a time and blocks while every worker is busy, took it up, ${f2(w.checkAndPolicy)} s for the provider's Check and the pack's Remediate and Analyze, ${f2(w.persistAndSlot)} s writing the pending operation to the state file and finding a worker. ` +
                `kubectl sends the same objects in one request. The program chains ${chain.length} resources one after the other on the critical path (${chain.map((x: any) => x.key.split("::").pop()).join(" → ")}): each waits for the previous one's outputs, so each pays that engine wait and its provider call in turn` +
                (chain.some((x: any) => /connector-env|connector-app-config/.test(x.key))
                    ? "; the connector's ConfigMaps take the TigerBeetle addresses from the StatefulSet's outputs, so the connector tier cannot start before the ledger's StatefulSet is Ready, although those addresses are known from config"
                    : "") +
                ".",
        );
    }

    // 4. The driver.
    const d = fig("up from empty, with the pack")?.driverSeconds;
    const dn = fig("no-op up, with the pack")?.driverSeconds;
    if (d) {
        lines.push(
            `- **The driver (the repository's).** Outside the engine process, \`npm run deploy\` adds ${f1(d.median)} s to an up and ${f1(dn?.median)} s to a no-op up (median): npm, ts-node starting automation/index.ts, the Automation API's \`pulumi version\` and \`stack select\`, its event-log polling, and after an up the \`stack output --show-secrets\` call that prints the endpoints (each a start of the CLI).`,
        );
    }

    const t1 = target("up of dev");
    if (t1?.met === false) {
        const floor = fig("floor");
        lines.push(
            `- **So the up/floor target.** The floor is ${f1(floor?.seconds?.median)} s: one request per object, and the controllers and kwok make everything Ready within a second or two. ${f2(t1.measured?.median)}× is the sum of the above; with the fixes it is ${f2(t1.fixed?.median)}×. ` +
                `1.5× the floor (${f1((floor?.seconds?.median ?? NaN) * 1.5)} s) is less than what the engine alone spends before and around the first resource (CLI, plugins, program start${fixedUp ? `: ${f1(boot(fixedUp))} s in the fixed profile` : ""}) plus the driver, so the target is out of reach of anything the program or the pack can change; the remaining excess is the engine's and the driver's.`,
        );
    }
    const t2 = target("no-op up");
    if (t2?.met === false && noop) {
        lines.push(
            `- **So the no-op up.** Profiled: pack ${f1(phaseOf(noop, "policy pack boot"))} s, program ${f1(phaseOf(noop, "program start"))} s, then ${f1(phaseOf(noop, "resources"))} s for the engine to Check and Diff every resource (no provider call changes anything) and the rest to finish; through the driver add the driver's ${f1(dn?.median)} s. ` +
                (t2.fixed ? `With the fixes: ${f1(t2.fixed.median)} s through the driver` + (fixedNoop ? ` (profiled: pack ${f1(phaseOf(fixedNoop, "policy pack boot"))} s, program ${f1(phaseOf(fixedNoop, "program start"))} s, resources ${f1(phaseOf(fixedNoop, "resources"))} s)` : "") + (t2.fixedMet ? ", within the target." : ", still above it: what remains is the driver, loading the SDKs and the engine's per-resource Check and Diff, on a machine that other work was using at the same time (see the contention above).") : ""),
        );
    }
    const t4 = target("policy pack");
    if (t4?.met === false) {
        lines.push(
            `- **So the pack's share** (${pct(t4.measured?.median)} of a dev preview): almost all of it is its start-up, type-checked by ts-node (above); its per-resource calls are milliseconds (see the policy section). ` +
                (t4.fixed ? `Compiled to JavaScript before the engine loads it, its share is ${pct(t4.fixed.median)}${t4.fixedMet ? "" : " (the remainder: loading Node.js and @pulumi/policy, and the per-resource calls)"}.` : ""),
        );
    }
    const t3 = target("preview with");
    if (t3?.met === false) {
        lines.push(`- **So preview at scale** (${f2(t3.measured?.median)}×): preview has no await; it grows with the engine's serial per-resource steps and the pack's calls (see the tenant and policy tables).`);
    }
    const t5 = target("npm test");
    if (t5?.met === false) {
        const tsc = fig("tsc --noEmit (the first half of npm test)", 0)?.seconds;
        const mocha = fig("npm test", 0)?.extra.mochaSeconds;
        const slow = (r.slowSpecs ?? []).slice(0, 3).map((x) => `"${x.title}" ${f1(x.seconds)} s`);
        lines.push(
            `- **npm test** (${f1(t5.measured?.median)} s, the repository's specs): \`tsc --noEmit\` over the whole repository takes ${f1(tsc?.median)} s, the mocha specs report ${f1(mocha?.median)} s of their own, and the rest is mocha starting (ts-node, loading the SDKs and every spec file)` +
                (slow.length ? `; the slowest specs: ${slow.join(", ")}` : "") +
                ". Nothing here is the engine's.",
        );
    }
    out.push(...lines);
    return out.join("\n");
}

if (require.main === module) {
    const file = path.resolve(process.argv[2] ?? path.join(__dirname, "results.json"));
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Raw;
    fs.writeFileSync(path.join(path.dirname(file), "results.md"), renderMarkdown(summarize(raw)));
    console.log(`wrote ${path.join(path.dirname(file), "results.md")}`);
}
