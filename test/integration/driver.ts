// What the integration suite needs to drive the real engine the way users do: the deploy
// driver as a child process (`npm run deploy -- …`), stack files written for a scenario,
// the Pulumi CLI for what the driver does not do (secrets into a stack file, state export)
// and kubectl against the same cluster. Every prerequisite is checked up front, and a
// missing one fails with the command that provides it.
import { SpawnSyncReturns, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");
const PROJECT = "m2m-platform";

/** Scenario stacks are named `it-…`; their stack files are git-ignored and removed after the suite. */
export const STACK_PREFIX = "it-";

export interface DriverRun {
    code: number;
    output: string;
    summary: string;
}

/** Where an Engine keeps its state: a temp folder unless `url` names another backend (with `env`, e.g. its credentials). */
export interface Backend {
    url?: string;
    env?: Record<string, string>;
}

/**
 * One backend and passphrase for the whole suite, never the user's `.state/`: a temp folder
 * (which also holds the summaries and logs), or the backend given.
 */
export class Engine {
    readonly backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-it-state-"));
    readonly passphrase = "integration-suite-passphrase";
    private readonly stackFiles = new Set<string>();

    constructor(private readonly backend: Backend = {}) {}

    get backendUrl(): string {
        return this.backend.url ?? `file://${this.backendDir}`;
    }

    get env(): NodeJS.ProcessEnv {
        return {
            ...process.env,
            ...this.backend.env,
            PULUMI_BACKEND_URL: this.backendUrl,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
    }

    /** `npm run deploy -- <op> --stack <stack> …` with a summary file of its own. */
    driver(op: "preview" | "up" | "destroy" | "refresh" | "cancel" | "move", stack: string, ...args: string[]): DriverRun {
        const summaryPath = path.join(this.backendDir, `${stack}-${op}-${Date.now()}.md`);
        const r = run("npx", ["ts-node", "--transpile-only", "automation/index.ts", op, "--stack", stack, "--summary", summaryPath, ...args], this.env);
        return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}`, summary: fs.existsSync(summaryPath) ? fs.readFileSync(summaryPath, "utf8") : "" };
    }

    /** The driver in the background, its output in a file, so a spec can kill its engine mid-run. */
    driverAsync(op: "preview" | "up" | "destroy", stack: string, ...args: string[]): BackgroundRun {
        const log = path.join(this.backendDir, `${stack}-${op}-${Date.now()}.log`);
        const fd = fs.openSync(log, "w");
        const summary = `${log.slice(0, -".log".length)}.md`;
        const child = spawn("npx", ["ts-node", "--transpile-only", "automation/index.ts", op, "--stack", stack, "--summary", summary, ...args], {
            cwd: ROOT,
            env: this.env,
            stdio: ["ignore", fd, fd],
        });
        fs.closeSync(fd);
        const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
        return {
            output: () => fs.readFileSync(log, "utf8"),
            summary: () => (fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : ""),
            exited,
            killEngine: () => {
                const engines = descendants(child.pid!).filter((pid) => run("ps", ["-o", "comm=", "-p", String(pid)]).stdout.trim() === "pulumi");
                const orphans = engines.flatMap(descendants);
                for (const pid of engines) {
                    process.kill(pid, "SIGKILL");
                }
                // The engine's children (the program's Node process, the plugins) outlive it,
                // orphaned; the program kept running for an hour in one run. End them too.
                setTimeout(() => orphans.forEach((pid) => {
                    try {
                        process.kill(pid, "SIGKILL");
                    } catch {
                        // already gone
                    }
                }), 2000);
                return engines.length;
            },
        };
    }

    pulumi(args: string[], opts: { allowFailure?: boolean; cwd?: string } = {}): string {
        const r = run("pulumi", [...args, "--non-interactive", "--cwd", opts.cwd ?? ROOT], this.env);
        if (r.status !== 0 && !opts.allowFailure) {
            throw new Error(`pulumi ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
        }
        return `${r.stdout}${r.stderr}`;
    }

    /**
     * Writes Pulumi.<stack>.yaml: the base stack file on the first write, then each call's
     * `config` (keys without the project prefix, `undefined` removes) over what the file
     * already holds, so a scenario's changes accumulate; creates the stack and sets
     * `secrets` encrypted.
     */
    writeStack(stack: string, base: "dev" | "prod", config: Record<string, unknown> = {}, secrets: Record<string, string> = {}, projectDir = ROOT): void {
        const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
        // A file this suite has not written yet (or one an interrupted run left) starts from the base.
        const source = this.stackFiles.has(file) ? file : path.join(ROOT, `Pulumi.${base}.yaml`);
        const doc = yaml.load(fs.readFileSync(source, "utf8")) as { config: Record<string, unknown> };
        if (source !== file) {
            delete (doc as Record<string, unknown>).encryptionsalt;
        }
        for (const [k, v] of Object.entries(config)) {
            const key = `${PROJECT}:${k}`;
            if (v === undefined) {
                delete doc.config[key];
            } else {
                doc.config[key] = v;
            }
        }
        fs.writeFileSync(file, yaml.dump(doc));
        this.stackFiles.add(file);
        this.pulumi(["stack", "select", "--create", stack], { cwd: projectDir });
        for (const [k, v] of Object.entries(secrets)) {
            this.pulumi(["config", "set", "--secret", "--stack", stack, k, v], { cwd: projectDir });
        }
    }

    /** The stack's state as `pulumi stack export` prints it (secrets stay encrypted). */
    exportState(stack: string): string {
        return this.pulumi(["stack", "export", "--stack", stack]);
    }

    /** Leaves the state and stack files in place when M2M_IT_KEEP_STATE=1 (to inspect a failure). */
    cleanup(): void {
        if (process.env.M2M_IT_KEEP_STATE === "1") {
            console.log(`kept: backend ${this.backendDir}, stack files ${[...this.stackFiles].join(", ")}`);
            return;
        }
        for (const f of this.stackFiles) {
            fs.rmSync(f, { force: true });
        }
        fs.rmSync(this.backendDir, { recursive: true, force: true });
    }
}

export interface BackgroundRun {
    output(): string;
    /** The run's summary, once it has written one. */
    summary(): string;
    /** SIGKILLs every `pulumi` process under the driver; returns how many. */
    killEngine(): number;
    exited: Promise<number>;
}

function descendants(pid: number): number[] {
    const children = run("pgrep", ["-P", String(pid)]).stdout.split("\n").filter(Boolean).map(Number);
    return children.flatMap((c) => [c, ...descendants(c)]);
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): SpawnSyncReturns<string> {
    return spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, input, timeout: 15 * 60 * 1000 });
}

export function kubectl(...args: string[]): string {
    const r = run(process.env.KUBECTL || "kubectl", args);
    if (r.status !== 0) {
        throw new Error(`kubectl ${args.join(" ")} failed:\n${r.stderr}`);
    }
    return r.stdout;
}

export function kubectlJson<T = any>(...args: string[]): T {
    return JSON.parse(kubectl(...args, "-o", "json")) as T;
}

/** Deletes the namespaces a scenario left (retained ones included) and waits until they are gone. */
export function deleteNamespaces(prefix: string): void {
    const names = kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "namespaces").items.map((n) => n.metadata.name).filter((n) => n.startsWith(prefix));
    if (names.length) {
        kubectl("delete", "namespace", ...names, "--wait=true", "--timeout=120s");
    }
}

const HOW =
    "build the toolchain and start the local cluster: scripts/cluster-toolchain.sh all && " +
    'eval "$(scripts/cluster-toolchain.sh print-env)" && eval "$(scripts/local-cluster.sh up)" ' +
    "(or run `npm run test:integration` through .ci/run, which does both)";

/** Fails with the command that provides whatever is missing. */
export function checkPrerequisites(): void {
    const missing: string[] = [];
    const has = (bin: string) => run("sh", ["-c", `command -v ${bin}`]).status === 0;
    for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"]) {
        if (!has(bin)) {
            missing.push(`${bin} is not on PATH`);
        }
    }
    const random = run("sh", ["-c", "pulumi plugin ls 2>/dev/null | grep -q '^random ' || command -v pulumi-resource-random"]);
    if (random.status !== 0) {
        missing.push("no random provider: neither installed (`pulumi plugin ls`) nor the stand-in on PATH (toolchain/plugins/bin)");
    }
    if (!process.env.KUBECONFIG) {
        missing.push("KUBECONFIG is not set");
    } else if (run(process.env.KUBECTL || "kubectl", ["get", "--raw", "/readyz"]).status !== 0) {
        missing.push(`the API server of ${process.env.KUBECONFIG} does not answer /readyz`);
    }
    if (missing.length) {
        throw new Error(`integration prerequisites missing:\n  - ${missing.join("\n  - ")}\nFix: ${HOW}`);
    }
}
