// Samples /proc while one command runs: per role (engine, program, policy pack, provider,
// …) the peak resident set (VmHWM) and CPU time of the command's process tree, and how
// much CPU processes outside it (other users' work, not the local cluster) used meanwhile.
import * as fs from "fs";
import * as path from "path";

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux). */
const HZ = 100;

export type Role =
    | "driver"
    | "engine"
    | "cli"
    | "language-host"
    | "program"
    | "policy"
    | "provider:kubernetes"
    | "provider:random"
    | "provider:docker"
    | "kubectl"
    | "other";

export interface RoleUsage {
    /** Highest VmHWM of one process of this role, MiB. */
    peakRssMiB: number;
    /** CPU seconds of all processes of this role (as last sampled before each exited). */
    cpuSeconds: number;
    processes: number;
    /** Seconds from the start of sampling to the first and last sample that saw the role. */
    firstSeen: number;
    lastSeen: number;
}

export interface Usage {
    wallSeconds: number;
    roles: Partial<Record<Role, RoleUsage>>;
    /** CPU seconds used meanwhile by the local cluster's processes (API server, etcd, controllers, kwok). */
    clusterCpuSeconds: number;
    /** CPU seconds used meanwhile by every other process on the machine. */
    foreignCpuSeconds: number;
    /** foreignCpuSeconds / (wall × cores): the share of the machine that other work took. */
    foreignShare: number;
    /** The other processes that used the most CPU meanwhile. */
    foreignTop: { comm: string; cpuSeconds: number }[];
}

interface Stat {
    pid: number;
    ppid: number;
    comm: string;
    cpuTicks: number;
    startTicks: number;
}

function readStat(pid: number): Stat | undefined {
    try {
        const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = s.lastIndexOf(")");
        const comm = s.slice(s.indexOf("(") + 1, close);
        const f = s.slice(close + 2).split(" ");
        // Fields after comm: state(0) ppid(1) … utime(11) stime(12) … starttime(19).
        return { pid, ppid: Number(f[1]), comm, cpuTicks: Number(f[11]) + Number(f[12]), startTicks: Number(f[19]) };
    } catch {
        return undefined;
    }
}

function readHwmKiB(pid: number): number {
    try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) : 0;
    } catch {
        return 0;
    }
}

function readCmdline(pid: number): string[] {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    } catch {
        return [];
    }
}

function uptimeTicks(): number {
    return Math.round(Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) * HZ);
}

function pids(): number[] {
    return fs
        .readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .map(Number);
}

const ENGINE_OPS = new Set(["up", "preview", "destroy", "refresh", "update"]);

/** What a process is, from its command line (and its parent's role, for launchers that fork). */
export function classify(argv: string[], parentRole: Role | undefined): Role {
    const exe = path.basename(argv[0] ?? "");
    const args = argv.slice(1).join(" ");
    if (exe === "pulumi") {
        return argv.slice(1).some((a) => ENGINE_OPS.has(a)) ? "engine" : "cli";
    }
    if (exe === "pulumi-language-nodejs") {
        return "language-host";
    }
    if (exe.startsWith("pulumi-resource-")) {
        return `provider:${exe.slice("pulumi-resource-".length)}` as Role;
    }
    if (exe.startsWith("pulumi-analyzer-") || /run-policy-pack/.test(args) || /pulumi-analyzer-policy/.test(args)) {
        return "policy";
    }
    const provider = /pulumi-resource-(random|docker|kubernetes)|toolchain\/plugins\/(random|docker)\//.exec(args);
    if (provider) {
        return `provider:${provider[1] ?? provider[2]}` as Role;
    }
    if (/@pulumi\/pulumi\/cmd\/run(\/|\s|$)/.test(args) || /cmd\/run\/index\.js/.test(args)) {
        return "program";
    }
    if (exe === "kubectl") {
        return "kubectl";
    }
    if (/automation\/index\.ts/.test(args) || exe === "npm" || /npm-cli\.js|npx-cli\.js|\bnpm\b/.test(args)) {
        return "driver";
    }
    if (parentRole && parentRole !== "other" && parentRole !== "driver" && parentRole !== "engine" && parentRole !== "cli") {
        return parentRole;
    }
    return "other";
}

/**
 * Samples every `intervalMs` from start() to stop(). `root` is the pid of the command being
 * measured; `own` are pids (with their trees) that are neither measured nor foreign (the
 * bench itself); `cluster` returns the local cluster's pids.
 */
export class Sampler {
    private timer: NodeJS.Timeout | undefined;
    private t0 = Date.now();
    private startTicks = 0;
    private readonly mine = new Map<number, { role: Role; cpu: number; hwm: number }>();
    private readonly roleSeen = new Map<Role, { first: number; last: number }>();
    private readonly others = new Map<number, { comm: string; last: number; used: number }>();
    private clusterBase = new Map<number, number>();
    private clusterUsed = 0;

    constructor(
        private readonly root: number,
        private readonly own: number,
        private readonly cluster: () => number[],
        private readonly intervalMs = 250,
    ) {}

    start(): void {
        this.t0 = Date.now();
        this.startTicks = uptimeTicks();
        this.tick(true);
        this.timer = setInterval(() => this.tick(false), this.intervalMs);
    }

    stop(cores: number): Usage {
        if (this.timer) {
            clearInterval(this.timer);
        }
        this.tick(false);
        const wallSeconds = (Date.now() - this.t0) / 1000;
        const roles: Partial<Record<Role, RoleUsage>> = {};
        for (const p of this.mine.values()) {
            const r = (roles[p.role] ??= { peakRssMiB: 0, cpuSeconds: 0, processes: 0, firstSeen: 0, lastSeen: 0 });
            r.peakRssMiB = Math.max(r.peakRssMiB, p.hwm / 1024);
            r.cpuSeconds += p.cpu / HZ;
            r.processes++;
        }
        for (const [role, seen] of this.roleSeen) {
            if (roles[role]) {
                roles[role]!.firstSeen = seen.first;
                roles[role]!.lastSeen = seen.last;
            }
        }
        const byComm = new Map<string, number>();
        let foreign = 0;
        for (const o of this.others.values()) {
            foreign += o.used;
            byComm.set(o.comm, (byComm.get(o.comm) ?? 0) + o.used);
        }
        const foreignTop = [...byComm.entries()]
            .map(([comm, ticks]) => ({ comm, cpuSeconds: ticks / HZ }))
            .filter((x) => x.cpuSeconds >= 0.05)
            .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
            .slice(0, 5);
        return {
            wallSeconds,
            roles,
            clusterCpuSeconds: this.clusterUsed / HZ,
            foreignCpuSeconds: foreign / HZ,
            foreignShare: wallSeconds > 0 ? foreign / HZ / (wallSeconds * cores) : 0,
            foreignTop,
        };
    }

    private tick(first: boolean): void {
        const now = (Date.now() - this.t0) / 1000;
        const stats = new Map<number, Stat>();
        for (const pid of pids()) {
            const s = readStat(pid);
            if (s) {
                stats.set(pid, s);
            }
        }
        const children = new Map<number, number[]>();
        for (const s of stats.values()) {
            (children.get(s.ppid) ?? children.set(s.ppid, []).get(s.ppid)!).push(s.pid);
        }
        const tree = (top: number) => {
            const out = new Set<number>();
            const stack = [top];
            while (stack.length) {
                const p = stack.pop()!;
                if (!out.has(p) && stats.has(p)) {
                    out.add(p);
                    stack.push(...(children.get(p) ?? []));
                }
            }
            return out;
        };
        const measured = tree(this.root);
        const ownTree = tree(this.own);
        const clusterPids = new Set(this.cluster());

        // Parents before children, so that a launcher's role reaches the process it forks.
        const ordered = [...measured].sort((a, b) => stats.get(a)!.startTicks - stats.get(b)!.startTicks || a - b);
        for (const pid of ordered) {
            const s = stats.get(pid)!;
            let p = this.mine.get(pid);
            if (!p) {
                p = { role: classify(readCmdline(pid), this.mine.get(s.ppid)?.role), cpu: 0, hwm: 0 };
                this.mine.set(pid, p);
            }
            p.cpu = s.cpuTicks;
            p.hwm = Math.max(p.hwm, readHwmKiB(pid));
            const seen = this.roleSeen.get(p.role);
            if (seen) {
                seen.last = now;
            } else {
                this.roleSeen.set(p.role, { first: now, last: now });
            }
        }
        for (const pid of clusterPids) {
            const s = stats.get(pid);
            if (!s) {
                continue;
            }
            const base = this.clusterBase.get(pid);
            if (base === undefined) {
                this.clusterBase.set(pid, s.cpuTicks);
            } else {
                this.clusterUsed += s.cpuTicks - base;
                this.clusterBase.set(pid, s.cpuTicks);
            }
        }
        for (const s of stats.values()) {
            if (measured.has(s.pid) || ownTree.has(s.pid) || clusterPids.has(s.pid) || s.pid === 2 || s.ppid === 2 || s.ppid === 0) {
                continue;
            }
            const o = this.others.get(s.pid);
            if (o) {
                o.used += Math.max(0, s.cpuTicks - o.last);
                o.last = s.cpuTicks;
            } else {
                // A process that started during the window counts from zero.
                const startedInside = !first && s.startTicks >= this.startTicks;
                this.others.set(s.pid, { comm: s.comm, last: s.cpuTicks, used: startedInside ? s.cpuTicks : 0 });
            }
        }
    }
}

export function machine(): { cpuModel: string; cores: number; memoryGiB: number; kernel: string } {
    const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
    const cores = cpuinfo.split("\n").filter((l) => /^processor\s*:/.test(l)).length;
    const mem = Number(/^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
    const kernel = fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    return { cpuModel: model, cores, memoryGiB: Math.round((mem / 1024 / 1024) * 10) / 10, kernel };
}

export function loadAverage(): number[] {
    return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
}
