// The deploy driver users' CI calls: `npm run deploy -- preview|up|destroy|drift --stack dev`.
// It runs the real Pulumi engine through the Automation API with a local file backend, a
// passphrase secrets provider and the policy pack, streams progress, writes a Markdown
// summary and exits non-zero on mandatory policy violations or failures (1), or when a
// drift check finds objects changed outside Pulumi (3). A platform stack with tenant stacks
// runs first, then its tenant stacks in parallel (README, "Tenant stacks"), all in one summary.
import { LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { TenantPlatform } from "../config";
import { fanOut } from "./fanout";
import { DriverOptions, UsageError, resolveOptions } from "./options";
import { lockRefusal } from "./lock";
import { removeEmptyCheckpointAttributes } from "./recover";
import { RunSummary, StackRun, installationExitCode, renderInstallation } from "./summary";
import { checkLayouts, moveTenants } from "./move";
import { Installation, isTenantStack, readInstallation, selectTenants, tenantPolicyConfig, tenantStackName } from "./tenants";

/** Where a stack's run writes: the console, or for a stack of a fan-out, lines prefixed with its name. */
interface Log {
    out(text: string): void;
    err(line: string): void;
}

const CONSOLE: Log = { out: (t) => process.stdout.write(t), err: (l) => console.error(l) };

async function main(): Promise<number> {
    const workDir = path.resolve(__dirname, "..");
    const opts = resolveOptions(process.argv.slice(2), process.env, workDir);
    if (opts.backendUrl.startsWith("file://")) {
        fs.mkdirSync(opts.backendUrl.slice("file://".length), { recursive: true });
    }
    if (opts.operation !== "cancel" && isTenantStack(opts.projectDir, opts.stack)) {
        if (opts.operation === "move") {
            throw new UsageError(`move takes the platform stack: --stack <platform> --tenants <tenant> (${opts.stack} is a tenant stack)`);
        }
        const own = await tenantStackOptions(opts);
        try {
            return await alone(own);
        } finally {
            // The tenant's policy config, written for this run only.
            if (own.policyPackConfig && own.policyPackConfig !== opts.policyPackConfig) {
                fs.rmSync(path.dirname(own.policyPackConfig), { recursive: true, force: true });
            }
        }
    }
    const inst = opts.operation === "cancel" ? undefined : readInstallation(opts.projectDir, opts.stack);
    if (inst && opts.operation === "move") {
        return move(opts, inst);
    }
    const tenants = inst ? selectTenants(opts.projectDir, inst, opts.tenants) : [];
    if (inst && opts.operation === "up") {
        await checkLayouts(opts, inst);
    }
    return tenants.length ? installation(opts, tenants) : alone(opts);
}

/** `move`: each named tenant's state into the layout `--to` names; the summary says what moved. */
async function move(opts: DriverOptions, inst: Installation): Promise<number> {
    const moved = await moveTenants(opts, inst, opts.tenants as string[], opts.moveTo!, (l) => console.log(l));
    const next = opts.moveTo === "stack" ? `npm run deploy -- up --stack ${inst.platform}` : `npm run deploy -- up --stack ${inst.platform}, then npm run deploy -- destroy --stack <the old tenant stack> (it holds only its image reference now)`;
    const text = [`## \`pulumi state move\` of tenants of stack \`${inst.platform}\` to ${opts.moveTo === "stack" ? "their own stacks" : "the platform stack"}: ✅ done`, "", ...moved.map((m) => `- ${m}`), "", `Next: \`${next}\`.`, ""].join("\n");
    fs.writeFileSync(opts.summaryPath, text);
    console.log(moved.join("\n"));
    console.log(`next: ${next}`);
    return 0;
}

/** One stack on its own: its run on the console, its summary in the summary file. */
async function alone(opts: DriverOptions): Promise<number> {
    const r = await runStack(opts, CONSOLE);
    fs.writeFileSync(opts.summaryPath, r.summary.render(r.outputs));
    console.log(`summary written to ${opts.summaryPath}`);
    return r.summary.exitCode;
}

/**
 * The platform stack, then its tenant stacks at most `--concurrency` at once (destroy: the
 * other way round, and the platform only when no tenant is named), in one summary.
 */
async function installation(opts: DriverOptions, tenants: string[]): Promise<number> {
    const names = Object.fromEntries(tenants.map((t) => [tenantStackName(opts.stack, t), t]));
    console.log(`${opts.operation} of platform stack ${opts.stack} and tenant stacks ${Object.keys(names).join(", ")} (at most ${opts.concurrency} at once)`);
    let contract: Promise<TenantPlatform | undefined> | undefined;
    const tenantPolicy = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-tenant-policy-"));
    const runs = await fanOut<StackRun & { ok: boolean }>({
        operation: opts.operation,
        platform: opts.stack,
        withPlatform: opts.operation !== "destroy" || opts.tenants === undefined || opts.tenants === "all",
        tenantStacks: Object.keys(names),
        concurrency: opts.concurrency,
        run: async (stack) => {
            if (stack === opts.stack) {
                return outcome(await runStack(opts, prefixed(stack)));
            }
            const needsPlatform = opts.operation === "preview" || opts.operation === "up";
            contract ??= needsPlatform ? readTenantPlatform(opts, opts.stack) : Promise.resolve(undefined);
            const platform = await contract;
            if (needsPlatform && !platform) {
                return outcome(skipped(opts, stack, names[stack], `not run: platform stack ${opts.stack} has no tenantPlatform output (it has never been deployed): run \`npm run deploy -- up --stack ${opts.stack}\` first`));
            }
            const run = await runStack(withTenantPolicy({ ...opts, stack, tenants: undefined }, platform, tenantPolicy), prefixed(stack));
            return outcome({ ...run, tenant: names[stack] });
        },
        skip: (stack, reason) => outcome(skipped(opts, stack, names[stack], reason)),
    });
    fs.rmSync(tenantPolicy, { recursive: true, force: true });
    fs.writeFileSync(opts.summaryPath, renderInstallation(opts.operation, opts.stack, runs));
    console.log(`summary written to ${opts.summaryPath}`);
    for (const r of runs) {
        console.log(`${r.stack}: ${r.skipped ?? r.summary.status}`);
    }
    return installationExitCode(runs);
}

const outcome = (r: StackRun): StackRun & { ok: boolean } => ({ ...r, ok: !r.skipped && !r.summary.failed });

function skipped(opts: DriverOptions, stack: string, tenant: string | undefined, reason: string): StackRun {
    return { stack, tenant, summary: new RunSummary(opts.operation, stack), outputs: {}, skipped: reason };
}

/** A tenant stack run on its own (`--stack <platform>.<tenant>`): a UsageError when its platform stack has not been deployed. */
async function tenantStackOptions(opts: DriverOptions): Promise<DriverOptions> {
    if (opts.tenants) {
        throw new UsageError(`--tenants names the tenant stacks of a platform stack; ${opts.stack} is a tenant stack itself: run --stack <platform> --tenants <tenant>, or leave --tenants out`);
    }
    const config = (yaml.load(fs.readFileSync(path.join(opts.projectDir, `Pulumi.${opts.stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
    const platformStack = String((config["m2m-platform:tenantStack"] as { platform?: unknown } | undefined)?.platform ?? "");
    if (opts.operation !== "preview" && opts.operation !== "up") {
        return opts;
    }
    const platform = await readTenantPlatform(opts, platformStack);
    if (!platform) {
        throw new UsageError(
            `tenant stack ${opts.stack} reads platform stack ${platformStack || "(m2m-platform:tenantStack.platform is not set)"}, which does not exist yet or has never been deployed (no tenantPlatform output): run \`npm run deploy -- up --stack ${platformStack || "<platform>"}\` first; nothing was run`,
        );
    }
    return withTenantPolicy(opts, platform, fs.mkdtempSync(path.join(os.tmpdir(), "m2m-tenant-policy-")));
}

/** The tenant stack's options with its policy config: its environment's, with the platform's tenant PriorityClass as a cluster class. */
function withTenantPolicy(opts: DriverOptions, platform: TenantPlatform | undefined, dir: string): DriverOptions {
    if (!opts.policyPackConfig || !platform) {
        return opts;
    }
    const file = path.join(dir, `${opts.stack}.json`);
    fs.writeFileSync(file, JSON.stringify(tenantPolicyConfig(JSON.parse(fs.readFileSync(opts.policyPackConfig, "utf8")), platform), null, 2));
    return { ...opts, policyPackConfig: file };
}

/** The platform stack's `tenantPlatform` output; undefined when the stack does not exist or has none. */
async function readTenantPlatform(opts: DriverOptions, platform: string): Promise<TenantPlatform | undefined> {
    try {
        const stack = await LocalWorkspace.selectStack({ stackName: platform, workDir: opts.projectDir }, { envVars: opts.env, secretsProvider: "passphrase" });
        return (await stack.outputs()).tenantPlatform?.value as TenantPlatform | undefined;
    } catch (err) {
        if (/no stack named|not found|does not exist/i.test(String((err as Error)?.message ?? err))) {
            return undefined;
        }
        throw err;
    }
}

/** Each line of a fan-out stack's output, prefixed with its stack name. */
function prefixed(stack: string): Log {
    let partial = "";
    return {
        out: (text) => {
            const lines = (partial + text).split("\n");
            partial = lines.pop() ?? "";
            for (const l of lines) {
                process.stdout.write(`[${stack}] ${l}\n`);
            }
        },
        err: (line) => console.error(`[${stack}] ${line}`),
    };
}

/** One stack's operation: its engine output on `log`, its summary and outputs returned. */
async function runStack(opts: DriverOptions, log: Log): Promise<StackRun> {
    log.out(`${opts.operation} of stack ${opts.stack} (${opts.environment}) on ${opts.backendUrl}\n`);
    if (opts.operation === "cancel" && opts.backendUrl.startsWith("file://")) {
        const project = (yaml.load(fs.readFileSync(path.join(opts.projectDir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
        for (const f of removeEmptyCheckpointAttributes(opts.backendUrl.slice("file://".length).split("?")[0], project, opts.stack)) {
            log.out(`removed ${f}: left empty by an interrupted checkpoint write\n`);
        }
    }
    const summary = new RunSummary(opts.operation, opts.stack);
    let runError: unknown;
    let upOutputs: OutputMap | undefined;
    let stack: Stack | undefined;
    try {
        stack = await LocalWorkspace.createOrSelectStack({ stackName: opts.stack, workDir: opts.projectDir }, { envVars: opts.env, secretsProvider: "passphrase" });
        upOutputs = await run(stack, opts, summary, log);
    } catch (err) {
        runError = err;
        summary.errors.push(lockRefusal(err, opts.stack) ?? engineError(err));
    }
    // An up's result already holds the stack's outputs (the Automation API read them): asking
    // again would start the CLI once more (bench/: about a second of every up).
    const outputs =
        opts.operation === "preview"
            ? summary.previewOutputs()
            : opts.operation === "destroy" || opts.operation === "cancel" || opts.operation === "drift" || runError || !stack
              ? {}
              : (upOutputs ?? (await stack.outputs()));
    report(opts, summary, outputs, runError === undefined, log);
    return { stack: opts.stack, summary, outputs };
}

/** Runs the operation, feeding the engine's events to the summary; an up returns the stack's outputs. */
async function run(stack: Stack, opts: DriverOptions, summary: RunSummary, log: Log): Promise<OutputMap | undefined> {
    const common = {
        onOutput: (out: string) => log.out(out),
        onEvent: (event: Parameters<RunSummary["onEvent"]>[0]) => summary.onEvent(event),
        ...(opts.policyPack ? { policyPacks: [opts.policyPack], policyPackConfigs: [opts.policyPackConfig!] } : {}),
    };
    switch (opts.operation) {
        case "preview":
            await stack.preview({ ...common, diff: true });
            break;
        case "up":
            return (await stack.up(common)).outputs;
        case "refresh":
            await stack.refresh({ onOutput: common.onOutput, onEvent: common.onEvent, clearPendingCreates: opts.clearPendingCreates });
            break;
        case "drift":
            // `pulumi refresh --preview-only`: reads every object and changes neither the
            // cluster nor the state; the summary lists what differs.
            await stack.previewRefresh({ onOutput: common.onOutput, onEvent: common.onEvent });
            break;
        case "cancel":
            // Removes the lock an engine that was killed left behind (the file and S3 backends).
            await stack.cancel();
            break;
        case "destroy":
            if (opts.environment === "dev") {
                // Dev protects the ledger's identity like prod, so that a cluster ID change is
                // refused at preview; tearing dev down is the one place that lifts it.
                await unprotectAll(stack);
            }
            await stack.destroy({ onOutput: common.onOutput, onEvent: common.onEvent });
    }
    return undefined;
}

/** The run's outcome on the console: endpoints after an up that completed, violations, drift, errors. */
function report(opts: DriverOptions, summary: RunSummary, outputs: OutputMap, completed: boolean, log: Log): void {
    if (opts.operation === "up" && completed) {
        log.out("endpoints:\n");
        for (const [name, o] of Object.entries(outputs)) {
            log.out(`  ${name}: ${o.secret ? "(secret)" : JSON.stringify(o.value)}\n`);
        }
    }
    for (const v of summary.mandatoryViolations) {
        log.err(`mandatory policy violation ${v.policy}: ${v.message}`);
    }
    for (const d of summary.drift.values()) {
        log.err(`drift: ${d.urn} ${d.op === "delete" ? "deleted" : `changed: ${d.properties.join(", ") || "(properties not reported)"}`}`);
    }
    for (const e of summary.errors) {
        log.err(e.startsWith("error:") ? e : `error: ${e}`);
    }
}

/** `pulumi state unprotect --all`, through the Automation API's state export and import. */
async function unprotectAll(stack: Stack): Promise<void> {
    const state = await stack.exportStack();
    const resources: { protect?: boolean }[] = (state.deployment as { resources?: { protect?: boolean }[] }).resources ?? [];
    if (resources.some((r) => r.protect)) {
        resources.forEach((r) => delete r.protect);
        await stack.importStack(state);
    }
}

/** The engine's own `error:` line from a failed CLI call, not the Automation API's wrapper text. */
function engineError(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    const lines = text.split("\n").map((l) => l.trim());
    return lines.find((l) => l.startsWith("error:")) ?? lines.find((l) => l !== "" && !/^code: -?\d+$/.test(l)) ?? text;
}

/** A missing Pulumi CLI surfaces as a spawn ENOENT deep inside the Automation API. */
function isMissingCli(err: unknown): boolean {
    return /spawn pulumi ENOENT|ENOENT: pulumi version/.test(String((err as Error)?.message ?? err));
}

main().then(
    (code) => process.exit(code),
    (err) => {
        if (err instanceof UsageError) {
            console.error(`error: ${err.message}`);
        } else if (isMissingCli(err)) {
            console.error("error: the Pulumi CLI is not on PATH. Install Pulumi 3.248 or newer (with its Node.js language host) and run again.");
        } else {
            console.error(`error: ${engineError(err).replace(/^error: /, "")}`);
            process.exit(1);
        }
        process.exit(2);
    },
);
