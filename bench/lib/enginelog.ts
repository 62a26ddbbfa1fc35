// Reads the engine's verbose log (`pulumi … -v=9 --logtostderr`, one JSON object per line)
// of one operation and turns it into a timeline: when the policy pack and the program were
// ready, when each resource was registered, prepared (its inputs resolved), handed to the
// provider and done; how many provider calls ran at once against the engine's parallelism;
// what the pack's calls cost; and the chain of resources that decided when the operation
// finished (the critical path).

export interface Step {
    key: string;
    type: string;
    name: string;
    registered?: number;
    prepared?: number;
    /** The engine received the registration, its step generator took it up, the planner decided its step, a worker applied it. */
    received?: number;
    produced?: number;
    planned?: number;
    applying?: number;
    opStart?: number;
    opEnd?: number;
    finished?: number;
    op?: string;
}

export interface Phase {
    name: string;
    start: number;
    end: number;
    seconds: number;
}

export interface PathStep {
    key: string;
    /** Of engineWait: queued before the engine's (serial) step generator took the registration up. */
    queued: number;
    /** Of engineWait: the provider's Check and the pack's Remediate/Analyze calls, until the step was decided. */
    checkAndPolicy: number;
    /** Of engineWait: the state file written for the pending step, and a free worker. */
    persistAndSlot: number;
    /** Seconds the step waited between its inputs resolving and the provider call (engine: check, policy, a free slot). */
    engineWait: number;
    /** Seconds in the provider (create/update/delete and its await). */
    provider: number;
    start: number;
    end: number;
    /** What it waited for before it was prepared: the resource it depends on, or the program's registration. */
    after: string;
}

export interface EngineLogAnalysis {
    seconds: number;
    phases: Phase[];
    parallel?: number;
    maxInFlight: number;
    /** Seconds during which as many provider calls ran as the parallelism allows. */
    secondsAtParallelLimit: number;
    byType: { type: string; n: number; medianSeconds: number; maxSeconds: number; sumSeconds: number }[];
    policyCalls: { method: string; n: number; totalSeconds: number; maxSeconds: number }[];
    criticalPath: PathStep[];
    /** Seconds from the first registration to the last step done, split along the critical path. */
    criticalPathSplit: { providerSeconds: number; engineWaitSeconds: number; dependencyGapSeconds: number };
    /** Over every step with a provider call: the median seconds of each part of the engine's wait. */
    engineWaitMedians: { queued: number; checkAndPolicy: number; persistAndSlot: number; total: number };
    steps: Step[];
}

const ts = (s: string): number => {
    const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(s);
    return m ? Date.parse(`${m[1]}Z`) + Number(m[2] ?? 0) * 1000 : NaN;
};

/** `type::name` of a URN (the last type of its parent chain). */
export function keyOfUrn(urn: string): string {
    const parts = urn.split("::");
    const name = parts[parts.length - 1];
    const types = parts[parts.length - 2] ?? "";
    return `${types.split("$").pop()}::${name}`;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : 0;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** `deps`: per step key, the keys of the resources its inputs depend on (from `pulumi stack export`). */
export function analyzeEngineLog(text: string, deps: Map<string, string[]> = new Map()): EngineLogAnalysis {
    const steps = new Map<string, Step>();
    const step = (type: string, name: string) => {
        const key = `${type}::${name}`;
        let s = steps.get(key);
        if (!s) {
            s = { key, type, name };
            steps.set(key, s);
        }
        return s;
    };
    const marks: Record<string, number> = {};
    const mark = (k: string, t: number) => {
        if (marks[k] === undefined) {
            marks[k] = t;
        }
    };
    const openPolicy = new Map<string, number>();
    const policy = new Map<string, { n: number; total: number; max: number }>();
    const workers = new Set<string>();
    let t0 = NaN;
    let last = 0;
    let x: RegExpExecArray | null;
    for (const line of text.split("\n")) {
        if (!line.startsWith("{")) {
            continue;
        }
        let j: { time: string; msg: string };
        try {
            j = JSON.parse(line);
        } catch {
            continue;
        }
        const abs = ts(j.time);
        if (!Number.isFinite(abs)) {
            continue;
        }
        if (Number.isNaN(t0)) {
            t0 = abs;
        }
        const t = (abs - t0) / 1000;
        last = t;
        const m = j.msg;
        if ((x = /^Registering resource: t=([^,]+), name=([^,]+),/.exec(m))) {
            const s = step(x[1], x[2]);
            s.registered ??= t;
            if (x[1] === "pulumi:pulumi:Stack") {
                mark("programStack", t);
            } else {
                mark("firstRegistration", t);
            }
        } else if ((x = /^RegisterResource RPC prepared: t=([^,]+), name=(\S+)/.exec(m))) {
            step(x[1], x[2]).prepared ??= t;
        } else if ((x = /^ResourceMonitor\.RegisterResource received: t=([^,]+), name=([^,]+),/.exec(m))) {
            step(x[1], x[2]).received ??= t;
        } else if ((x = /^EvalSourceIterator produced a registration: t=([^,]+),name=([^,]+),/.exec(m))) {
            step(x[1], x[2]).produced ??= t;
        } else if ((x = /^Planner decided to \w+ '(urn:[^']+)'/.exec(m))) {
            const [type, name] = keyOfUrn(x[1]).split("::");
            step(type, name).planned ??= t;
        } else if ((x = /^StepExecutor worker\((\d+)\): applying step \w+ on (urn:\S+)/.exec(m))) {
            workers.add(x[1]);
            const [type, name] = keyOfUrn(x[2]).split("::");
            step(type, name).applying ??= t;
        } else if ((x = /^RegisterResource RPC finished: resource:([^[]+)\[([^\]]+)\]/.exec(m))) {
            step(x[2], x[1]).finished ??= t;
        } else if ((x = /^Provider\[\w+\]\.(Create|Update|Delete|Read)\((urn:[^)]*)\) (executing|success|failed)/.exec(m))) {
            const [type, name] = keyOfUrn(x[2]).split("::");
            const s = step(type, name);
            if (x[3] === "executing") {
                s.opStart ??= t;
                s.op ??= x[1];
            } else {
                s.opEnd ??= t;
            }
        } else if ((x = /^Analyzer\[[^\]]*\]\.(\w+)\((.*?)\) (executing|success|failed)/.exec(m))) {
            const k = `${x[1]}(${x[2]})`;
            if (x[3] === "executing") {
                openPolicy.set(k, t);
                if (x[1] === "GetPluginInfo") {
                    mark("policyReady", t);
                }
            } else {
                const start = openPolicy.get(k) ?? openPolicy.get(`${x[1]}(...)`);
                openPolicy.delete(k);
                if (start !== undefined) {
                    const p = policy.get(x[1]) ?? { n: 0, total: 0, max: 0 };
                    p.n++;
                    p.total += t - start;
                    p.max = Math.max(p.max, t - start);
                    policy.set(x[1], p);
                }
                if (x[1] === "AnalyzeStack") {
                    mark("analyzeStackEnd", t);
                }
            }
            if (x[1] === "AnalyzeStack" && x[3] === "executing") {
                mark("analyzeStackStart", t);
            }
        } else if (/^newPlugin\(\): Launching plugin '.* \(analyzer\)'/.test(m)) {
            mark("policyLaunch", t);
        } else if (/^langhost\[nodejs\]\.Run\(/.test(m)) {
            if (/ executing$/.test(m)) {
                mark("programRun", t);
            } else {
                mark("programExit", t);
            }
        } else if ((x = /^StepExecutor worker\((\d+)\)/.exec(m))) {
            workers.add(x[1]);
        } else if (/^\*\*\* Starting (Update|Destroy|Refresh)/.test(m)) {
            mark("operationStart", t);
        }
    }

    const all = [...steps.values()];
    const withOp = all.filter((s) => s.opStart !== undefined && s.opEnd !== undefined);
    const lastDone = Math.max(0, ...all.map((s) => s.finished ?? s.opEnd ?? 0));
    const phases: Phase[] = [];
    const phase = (name: string, start?: number, end?: number) => {
        if (start !== undefined && end !== undefined && end >= start) {
            phases.push({ name, start: r2(start), end: r2(end), seconds: r2(end - start) });
        }
    };
    phase("engine start (CLI, backend, plugins)", 0, marks.policyLaunch ?? marks.programRun);
    phase("policy pack boot (the analyzer plugin starts, the pack loads)", marks.policyLaunch, marks.policyReady);
    phase("program start (Node.js, the SDK, the program's modules)", marks.programRun, marks.firstRegistration);
    phase("resources (first registration to last resource done)", marks.firstRegistration, lastDone || undefined);
    phase("program exit", lastDone || undefined, marks.programExit);
    phase("stack policies (AnalyzeStack)", marks.analyzeStackStart, marks.analyzeStackEnd);
    phase("engine finish (state, outputs, plugins shut down)", Math.max(marks.analyzeStackEnd ?? 0, marks.programExit ?? 0, lastDone), last);

    // Provider calls in flight over time.
    const events = withOp.flatMap((s) => [
        { t: s.opStart!, d: 1 },
        { t: s.opEnd!, d: -1 },
    ]);
    events.sort((a, b) => a.t - b.t || a.d - b.d);
    const parallel = workers.size || undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    let atLimit = 0;
    let prev = 0;
    for (const e of events) {
        if (parallel && inFlight >= parallel) {
            atLimit += e.t - prev;
        }
        inFlight += e.d;
        maxInFlight = Math.max(maxInFlight, inFlight);
        prev = e.t;
    }

    const types = new Map<string, number[]>();
    for (const s of withOp) {
        (types.get(s.type) ?? types.set(s.type, []).get(s.type)!).push(s.opEnd! - s.opStart!);
    }
    const byType = [...types.entries()]
        .map(([type, d]) => ({ type, n: d.length, medianSeconds: r2(median(d)), maxSeconds: r2(Math.max(...d)), sumSeconds: r2(d.reduce((a, b) => a + b, 0)) }))
        .sort((a, b) => b.sumSeconds - a.sumSeconds);

    // Critical path: from the resource done last, back through the dependency that finished last.
    const criticalPath: PathStep[] = [];
    const doneAt = (s: Step) => s.finished ?? s.opEnd;
    let cur = withOp.reduce<Step | undefined>((a, s) => (!a || (doneAt(s) ?? 0) > (doneAt(a) ?? 0) ? s : a), undefined);
    const seen = new Set<string>();
    let dependencyGap = 0;
    while (cur && !seen.has(cur.key)) {
        seen.add(cur.key);
        const ready = cur.prepared ?? cur.opStart!;
        const candidates = (deps.get(cur.key) ?? []).map((k) => steps.get(k)).filter((s): s is Step => !!s && doneAt(s) !== undefined && s.opStart !== undefined);
        const blocker = candidates.reduce<Step | undefined>((a, s) => (!a || doneAt(s)! > doneAt(a)! ? s : a), undefined);
        const blocked = blocker && doneAt(blocker)! >= ready - 0.5;
        const seg = segments(cur);
        criticalPath.unshift({
            key: cur.key,
            ...seg,
            engineWait: r2(Math.max(0, (cur.opStart ?? ready) - ready)),
            provider: r2((cur.opEnd ?? 0) - (cur.opStart ?? 0)),
            start: r2(ready),
            end: r2(doneAt(cur) ?? 0),
            after: blocked ? blocker!.key : "the program's registration",
        });
        if (blocked) {
            dependencyGap += Math.max(0, ready - doneAt(blocker!)!);
        }
        cur = blocked ? blocker : undefined;
    }
    const segs = withOp.map(segments);
    const engineWaitMedians = {
        queued: r2(median(segs.map((x) => x.queued))),
        checkAndPolicy: r2(median(segs.map((x) => x.checkAndPolicy))),
        persistAndSlot: r2(median(segs.map((x) => x.persistAndSlot))),
        total: r2(median(withOp.map((s) => Math.max(0, s.opStart! - (s.prepared ?? s.opStart!))))),
    };
    const providerSeconds = criticalPath.reduce((a, p) => a + p.provider, 0);
    const engineWaitSeconds = criticalPath.reduce((a, p) => a + p.engineWait, 0);

    return {
        seconds: r2(last),
        phases,
        parallel,
        maxInFlight,
        secondsAtParallelLimit: r2(atLimit),
        byType,
        policyCalls: [...policy.entries()].map(([method, p]) => ({ method, n: p.n, totalSeconds: r2(p.total), maxSeconds: r2(p.max) })).sort((a, b) => b.totalSeconds - a.totalSeconds),
        criticalPath,
        criticalPathSplit: { providerSeconds: r2(providerSeconds), engineWaitSeconds: r2(engineWaitSeconds), dependencyGapSeconds: r2(dependencyGap) },
        engineWaitMedians,
        steps: all,
    };
}

/** The parts of a step's wait between its inputs resolving and its provider call. */
function segments(s: Step): { queued: number; checkAndPolicy: number; persistAndSlot: number } {
    const from = s.prepared ?? s.received;
    const d = (a?: number, b?: number) => (a !== undefined && b !== undefined ? r2(Math.max(0, b - a)) : 0);
    return { queued: d(from, s.produced), checkAndPolicy: d(s.produced, s.planned), persistAndSlot: d(s.planned, s.opStart) };
}

/** Per step key, the keys its inputs depend on, from `pulumi stack export` JSON. */
export function dependenciesFromState(exported: string): Map<string, string[]> {
    const doc = JSON.parse(exported) as { deployment?: { resources?: { urn: string; dependencies?: string[]; propertyDependencies?: Record<string, string[]> }[] } };
    const out = new Map<string, string[]>();
    for (const r of doc.deployment?.resources ?? []) {
        const all = new Set([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]);
        out.set(keyOfUrn(r.urn), [...all].map(keyOfUrn));
    }
    return out;
}
