// Reads the V8 CPU profiles that bench/lib/cpuprof.js writes for each Node.js process of a
// profiled run, and splits each process's CPU time by what ran: the TypeScript compiler
// (ts-node type-checking the program or the pack at start), module loading, the Pulumi SDK,
// gRPC, the program's or the pack's own code, garbage collection.
import * as fs from "fs";
import * as path from "path";

interface Node {
    id: number;
    callFrame: { functionName: string; url: string };
    children?: number[];
}

interface Profile {
    argv?: string[];
    nodes: Node[];
    startTime: number;
    endTime: number;
    samples: number[];
    timeDeltas: number[];
}

export interface ProcessProfile {
    pid: number;
    /** program | policy | provider:random | driver | other */
    role: string;
    /** Seconds from the process's first to last sample. */
    lifeSeconds: number;
    /** CPU seconds sampled (idle excluded). */
    cpuSeconds: number;
    /** CPU seconds by category, largest first. */
    categories: { category: string; seconds: number }[];
    /** The heaviest functions by self time outside the TypeScript compiler. */
    topFunctions: { fn: string; seconds: number }[];
}

function roleOf(argv: string[]): string {
    const a = argv.join(" ");
    if (/run-policy-pack/.test(a)) {
        return "policy";
    }
    if (/cmd\/run(\/index\.js)?(\s|$)/.test(a)) {
        return "program";
    }
    if (/pulumi-resource-random|plugins\/random/.test(a)) {
        return "provider:random";
    }
    if (/pulumi-resource-docker|plugins\/docker/.test(a)) {
        return "provider:docker";
    }
    if (/automation\/index\.ts/.test(a)) {
        return "driver";
    }
    return "other";
}

/** The category of a sampled frame; `root` is the repository the program lives in. */
export function categoryOf(url: string, fn: string, root: string): string {
    if (fn === "(garbage collector)") {
        return "garbage collection";
    }
    if (fn === "(program)" || fn === "(root)") {
        return "V8/native (unattributed)";
    }
    if (/node_modules\/typescript\//.test(url)) {
        return "TypeScript compiler (ts-node)";
    }
    if (/node_modules\/ts-node\//.test(url)) {
        return "ts-node";
    }
    if (/node_modules\/@pulumi\/kubernetes\//.test(url)) {
        return "@pulumi/kubernetes";
    }
    if (/node_modules\/@pulumi\/policy\//.test(url)) {
        return "@pulumi/policy";
    }
    if (/node_modules\/@grpc\/|node_modules\/google-protobuf\/|node_modules\/protobufjs\//.test(url)) {
        return "gRPC / protobuf";
    }
    if (/node_modules\/@pulumi\/pulumi\//.test(url)) {
        return "@pulumi/pulumi SDK";
    }
    if (/node_modules\//.test(url)) {
        return "other modules";
    }
    if (/^node:|^internal\//.test(url) || (url === "" && fn !== "")) {
        return "Node.js internals (module loader, fs, streams)";
    }
    const file = url.replace(/^file:\/\//, "");
    if (file.startsWith(path.join(root, "policy") + "/") || /\/\.pulumi\/policy[^/]*\//.test(file)) {
        return "the policy pack's code";
    }
    if (file.startsWith(path.join(root, "toolchain") + "/")) {
        return "offline stand-in plugins";
    }
    if (file.startsWith(root + "/")) {
        return "the program's code";
    }
    return "other";
}

export function analyzeProfile(file: string, root: string): ProcessProfile {
    const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    for (let i = 0; i < p.samples.length; i++) {
        self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
    const cats = new Map<string, number>();
    const fns = new Map<string, number>();
    let cpu = 0;
    for (const [id, us] of self) {
        const n = byId.get(id);
        if (!n || n.callFrame.functionName === "(idle)") {
            continue;
        }
        cpu += us;
        const cat = categoryOf(n.callFrame.url, n.callFrame.functionName, root);
        cats.set(cat, (cats.get(cat) ?? 0) + us);
        if (cat !== "TypeScript compiler (ts-node)" && cat !== "garbage collection" && cat !== "V8/native (unattributed)") {
            const where = n.callFrame.url.replace(/^file:\/\//, "").replace(root + "/", "");
            const key = `${n.callFrame.functionName || "(anonymous)"} ${where}`;
            fns.set(key, (fns.get(key) ?? 0) + us);
        }
    }
    const sec = (us: number) => Math.round(us / 1e4) / 100;
    return {
        pid: Number(path.basename(file).split(".")[0]),
        role: roleOf(p.argv ?? []),
        lifeSeconds: sec(p.endTime - p.startTime),
        cpuSeconds: sec(cpu),
        categories: [...cats.entries()].map(([category, us]) => ({ category, seconds: sec(us) })).sort((a, b) => b.seconds - a.seconds),
        topFunctions: [...fns.entries()]
            .map(([fn, us]) => ({ fn, seconds: sec(us) }))
            .sort((a, b) => b.seconds - a.seconds)
            .slice(0, 8),
    };
}

export function analyzeProfiles(dir: string, root: string): ProcessProfile[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => analyzeProfile(path.join(dir, f), root))
        .filter((p) => p.role !== "other" || p.cpuSeconds > 0.2)
        .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}
