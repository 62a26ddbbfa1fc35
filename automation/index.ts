// The deploy driver users' CI calls: `npm run deploy -- preview|up|destroy|drift --stack dev`.
// It runs the real Pulumi engine through the Automation API with a local file backend, a
// passphrase secrets provider and the policy pack, streams progress, writes a Markdown
// summary and exits non-zero on mandatory policy violations or failures (1), or when a
// drift check finds objects changed outside Pulumi (3).
import { LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { DriverOptions, UsageError, resolveOptions } from "./options";
import { removeEmptyCheckpointAttributes } from "./recover";
import { RunSummary } from "./summary";

async function main(): Promise<number> {
    const workDir = path.resolve(__dirname, "..");
    const opts = resolveOptions(process.argv.slice(2), process.env, workDir);
    if (opts.backendUrl.startsWith("file://")) {
        fs.mkdirSync(opts.backendUrl.slice("file://".length), { recursive: true });
    }
    console.log(`${opts.operation} of stack ${opts.stack} (${opts.environment}) on ${opts.backendUrl}`);

    if (opts.operation === "cancel" && opts.backendUrl.startsWith("file://")) {
        const project = (yaml.load(fs.readFileSync(path.join(opts.projectDir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
        for (const f of removeEmptyCheckpointAttributes(opts.backendUrl.slice("file://".length).split("?")[0], project, opts.stack)) {
            console.log(`removed ${f}: left empty by an interrupted checkpoint write`);
        }
    }
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: opts.stack, workDir: opts.projectDir },
        { envVars: opts.env, secretsProvider: "passphrase" },
    );
    const summary = new RunSummary(opts.operation, opts.stack);
    let runError: unknown;
    let upOutputs: OutputMap | undefined;
    try {
        upOutputs = await run(stack, opts, summary);
    } catch (err) {
        runError = err;
        summary.errors.push(engineError(err));
    }
    // An up's result already holds the stack's outputs (the Automation API read them): asking
    // again would start the CLI once more (bench/: about a second of every up).
    const outputs =
        opts.operation === "preview"
            ? summary.previewOutputs()
            : opts.operation === "destroy" || opts.operation === "cancel" || opts.operation === "drift" || runError
              ? {}
              : (upOutputs ?? (await stack.outputs()));
    fs.writeFileSync(opts.summaryPath, summary.render(outputs));
    console.log(`summary written to ${opts.summaryPath}`);
    report(opts, summary, outputs, runError === undefined);
    return summary.exitCode;
}

/** Runs the operation, feeding the engine's events to the summary; an up returns the stack's outputs. */
async function run(stack: Stack, opts: DriverOptions, summary: RunSummary): Promise<OutputMap | undefined> {
    const common = {
        onOutput: (out: string) => process.stdout.write(out),
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
function report(opts: DriverOptions, summary: RunSummary, outputs: OutputMap, completed: boolean): void {
    if (opts.operation === "up" && completed) {
        console.log("endpoints:");
        for (const [name, o] of Object.entries(outputs)) {
            console.log(`  ${name}: ${o.secret ? "(secret)" : JSON.stringify(o.value)}`);
        }
    }
    for (const v of summary.mandatoryViolations) {
        console.error(`mandatory policy violation ${v.policy}: ${v.message}`);
    }
    for (const d of summary.drift.values()) {
        console.error(`drift: ${d.urn} ${d.op === "delete" ? "deleted" : `changed: ${d.properties.join(", ") || "(properties not reported)"}`}`);
    }
    for (const e of summary.errors) {
        console.error(e.startsWith("error:") ? e : `error: ${e}`);
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
