// Runs one measured command: wall time, its output (also appended to a log file), and the
// /proc sample of its process tree (see proc.ts). The command gets its own process group so
// that a timeout can stop exactly what it started.
import { spawn } from "child_process";
import * as fs from "fs";
import { Sampler, Usage } from "./proc";

export interface Timed {
    code: number;
    seconds: number;
    output: string;
    usage: Usage;
    timedOut: boolean;
}

export interface TimedOptions {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutSeconds: number;
    log: string;
    /** Where stderr goes instead of the output (a verbose engine log). */
    stderrFile?: string;
    clusterPids: () => number[];
    cores: number;
}

/** Process groups of the commands running now, so that an interrupted bench can stop them. */
const running = new Set<number>();

export function stopRunning(): void {
    for (const pgid of running) {
        try {
            process.kill(-pgid, "SIGTERM");
        } catch {
            // already gone
        }
    }
}

export function timed(cmd: string, args: string[], opts: TimedOptions): Promise<Timed> {
    return new Promise((resolve) => {
        fs.appendFileSync(opts.log, `\n$ ${cmd} ${args.join(" ")}\n`);
        const errFd = opts.stderrFile ? fs.openSync(opts.stderrFile, "w") : undefined;
        const t0 = process.hrtime.bigint();
        const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", errFd ?? "pipe"] });
        if (child.pid === undefined) {
            child.on("error", (err) => {
                const usage = new Sampler(process.pid, process.pid, opts.clusterPids).stop(opts.cores);
                resolve({ code: 127, seconds: 0, output: `${cmd}: ${err.message}`, usage, timedOut: false });
            });
            return;
        }
        running.add(child.pid);
        const sampler = new Sampler(child.pid!, process.pid, opts.clusterPids);
        sampler.start();
        const chunks: string[] = [];
        const collect = (b: Buffer) => {
            const s = b.toString("utf8");
            chunks.push(s);
            fs.appendFileSync(opts.log, s);
        };
        child.stdout!.on("data", collect);
        child.stderr?.on("data", collect);
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid!, "SIGTERM");
                setTimeout(() => {
                    try {
                        process.kill(-child.pid!, "SIGKILL");
                    } catch {
                        // already gone
                    }
                }, 10000).unref();
            } catch {
                // already gone
            }
        }, opts.timeoutSeconds * 1000);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            running.delete(child.pid!);
            const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
            const usage = sampler.stop(opts.cores);
            if (errFd !== undefined) {
                fs.closeSync(errFd);
            }
            const output = chunks.join("");
            fs.appendFileSync(opts.log, `\n[exit ${code ?? signal} after ${seconds.toFixed(2)} s${timedOut ? ", timed out" : ""}]\n`);
            resolve({ code: code ?? (signal ? 128 : -1), seconds, output, usage, timedOut });
        });
    });
}
