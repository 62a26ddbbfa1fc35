// Command-line and environment handling for the deploy driver, kept free of side effects
// so that every rule (which passphrase, which backend, which policy config) is testable.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/**
 * `drift`: a refresh preview (`pulumi refresh --preview-only`) that fails when the cluster
 * differs from the state. `move`: a tenant's state between the platform stack and its tenant
 * stack (`--tenants <t> --to stack|platform`).
 */
export type Operation = "preview" | "up" | "destroy" | "refresh" | "cancel" | "drift" | "move";
const OPERATIONS: readonly string[] = ["preview", "up", "destroy", "refresh", "cancel", "drift", "move"];

export interface DriverOptions {
    operation: Operation;
    stack: string;
    /** `dev` or `prod`, from the stack file: selects the policy config and the passphrase rule. */
    environment: "dev" | "prod";
    workDir: string;
    /** The Pulumi project to run: this repository's program unless --project-dir names another. */
    projectDir: string;
    backendUrl: string;
    /** Environment for the Pulumi CLI: backend and passphrase (never logged). */
    env: Record<string, string>;
    policyPack?: string;
    policyPackConfig?: string;
    summaryPath: string;
    /** refresh: forget creates an interrupted update left pending (`--clear-pending-creates`). */
    clearPendingCreates: boolean;
    /** `--tenants`: the tenant stacks to run after (for destroy: instead of) the platform stack; undefined: every one. */
    tenants?: "all" | string[];
    /** `--concurrency`: how many tenant stacks run at once. */
    concurrency: number;
    /** move: where the tenants go (`--to`). */
    moveTo?: "stack" | "platform";
}

/** How many tenant stacks run at once unless --concurrency says otherwise. */
export const DEFAULT_CONCURRENCY = 4;

/** A documented, deliberately public passphrase: dev stacks hold no production secrets. */
export const DEV_PASSPHRASE = "m2m-dev-stack-passphrase-not-a-secret";

export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

const USAGE =
    "usage: npm run deploy -- preview|up|destroy|refresh|cancel|drift --stack <name> [--tenants all|<tenant>...] [--concurrency <n>] [--summary <file>] [--project-dir <dir>] [--policy-pack <dir>] [--no-policy] [--clear-pending-creates]\n" +
    "       npm run deploy -- move --stack <platform> --tenants <tenant>... --to stack|platform";

/** What the command line asks for, before anything is checked against the files it names. */
interface CommandLine {
    operation: Operation;
    stack: string;
    summaryPath: string;
    projectDir: string;
    policyPackDir: string;
    /** false with --no-policy. */
    policy: boolean;
    clearPendingCreates: boolean;
    tenants?: "all" | string[];
    concurrency: number;
    moveTo?: "stack" | "platform";
}

/** `--tenants all` or `--tenants a b …`: the names up to the next flag. */
function tenantsArgument(rest: string[], from: number): { tenants: "all" | string[]; next: number } {
    let i = from;
    const names: string[] = [];
    while (i + 1 < rest.length && !rest[i + 1].startsWith("-")) {
        names.push(rest[++i]);
    }
    if (names.length === 0) {
        throw new UsageError(`--tenants needs \`all\` or the names of tenant stacks' tenants (e.g. --tenants client-b client-c).\n${USAGE}`);
    }
    if (names.includes("all") && names.length > 1) {
        throw new UsageError(`--tenants takes \`all\` or tenant names, not both (got ${names.join(" ")})`);
    }
    return { tenants: names[0] === "all" ? "all" : names, next: i };
}

/** `--concurrency <n>`: a whole number of at least 1. */
function concurrencyArgument(value: string | undefined): number {
    const n = Number(value);
    if (value === undefined || !/^-?[0-9]+$/.test(value) || n < 1) {
        throw new UsageError(`--concurrency must be a whole number of at least 1, the number of tenant stacks run at once (got ${JSON.stringify(value ?? "")}): e.g. --concurrency ${DEFAULT_CONCURRENCY}`);
    }
    return n;
}

/** The operation and flags of `argv`; a UsageError for an unknown operation or argument, or no --stack. */
function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv, workDir: string): CommandLine {
    const [operation, ...rest] = argv;
    if (!OPERATIONS.includes(operation)) {
        throw new UsageError(`unknown or missing operation ${JSON.stringify(operation ?? "")}.\n${USAGE}`);
    }
    let stack: string | undefined;
    let summaryPath = path.join(workDir, "pulumi-summary.md");
    let policy = true;
    let projectDir = workDir;
    let clearPendingCreates = false;
    let tenants: "all" | string[] | undefined;
    let concurrency = DEFAULT_CONCURRENCY;
    let moveTo: "stack" | "platform" | undefined;
    // The pack to run: the repository's own, or a copy the toolchain staged (M2M_POLICY_PACK)
    // for a Node.js language host that cannot run `runtime: nodejs` packs itself.
    let policyPackDir = env.M2M_POLICY_PACK || path.join(workDir, "policy");
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg === "--stack" || arg === "-s") {
            stack = rest[++i];
        } else if (arg === "--summary") {
            summaryPath = path.resolve(workDir, rest[++i] ?? "");
        } else if (arg === "--project-dir") {
            projectDir = path.resolve(workDir, rest[++i] ?? "");
        } else if (arg === "--policy-pack") {
            policyPackDir = path.resolve(workDir, rest[++i] ?? "");
        } else if (arg === "--clear-pending-creates" && operation === "refresh") {
            clearPendingCreates = true;
        } else if (arg === "--no-policy") {
            policy = false;
        } else if (arg === "--tenants") {
            const t = tenantsArgument(rest, i);
            tenants = t.tenants;
            i = t.next;
        } else if (arg === "--concurrency") {
            concurrency = concurrencyArgument(rest[++i]);
        } else if (arg === "--to" && operation === "move") {
            const to = rest[++i];
            if (to !== "stack" && to !== "platform") {
                throw new UsageError(`--to must be stack (each tenant into its own tenant stack) or platform (back into the platform stack), got ${JSON.stringify(to ?? "")}`);
            }
            moveTo = to;
        } else {
            throw new UsageError(`unknown argument ${JSON.stringify(arg)}.\n${USAGE}`);
        }
    }
    if (!stack) {
        throw new UsageError(`--stack is required.\n${USAGE}`);
    }
    if (operation === "move" && (!moveTo || !Array.isArray(tenants))) {
        throw new UsageError(`move needs --tenants <tenant>... (by name) and --to stack|platform.\n${USAGE}`);
    }
    if (tenants && operation === "cancel") {
        throw new UsageError(`--tenants does not go with cancel: cancel one stack at a time (--stack <platform>.<tenant> for a tenant stack)`);
    }
    return { operation: operation as Operation, stack, summaryPath, projectDir, policyPackDir, policy, clearPendingCreates, tenants, concurrency, moveTo };
}

/** The stack's environment, from its stack file; a UsageError when the project or the stack file is missing. */
function projectStackEnvironment(projectDir: string, stack: string): "dev" | "prod" {
    if (!fs.existsSync(path.join(projectDir, "Pulumi.yaml"))) {
        throw new UsageError(`no Pulumi project at ${projectDir} (no Pulumi.yaml): check --project-dir`);
    }
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new UsageError(`no stack file ${path.basename(stackFile)}: create it (copy Pulumi.dev.yaml) and set m2m-platform:environment`);
    }
    return stackEnvironment(stackFile);
}

/** Whether the pack runs: for previews and updates unless --no-policy; a UsageError when it should and there is none. */
function runsPolicy(cmd: CommandLine): boolean {
    // The pack judges what an operation registers: previews and updates, not refresh, drift or cancel.
    const policy = cmd.policy && (cmd.operation === "preview" || cmd.operation === "up");
    if (policy && !fs.existsSync(path.join(cmd.policyPackDir, "PulumiPolicy.yaml"))) {
        throw new UsageError(`no policy pack at ${cmd.policyPackDir} (no PulumiPolicy.yaml): check --policy-pack or M2M_POLICY_PACK, or pass --no-policy`);
    }
    return policy;
}

/**
 * The Pulumi CLI's environment: the backend, the passphrase (the caller's file or value, the
 * public dev default for a dev stack; a UsageError for a prod stack without one) and
 * transpile-only.
 */
function engineEnvironment(env: NodeJS.ProcessEnv, stack: string, environment: "dev" | "prod", backendUrl: string): Record<string, string> {
    // The program runs transpile-only: the engine then starts it without type-checking every
    // file first (bench/: seconds on every preview and up). `npm test` (tsc --noEmit), which CI
    // runs before any preview, is where type errors are caught. PULUMI_NODEJS_TRANSPILE_ONLY=false
    // brings the check back.
    const pulumiEnv: Record<string, string> = { PULUMI_NODEJS_TRANSPILE_ONLY: env.PULUMI_NODEJS_TRANSPILE_ONLY || "true" };
    pulumiEnv.PULUMI_BACKEND_URL = backendUrl;
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        pulumiEnv.PULUMI_CONFIG_PASSPHRASE_FILE = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    } else if (env.PULUMI_CONFIG_PASSPHRASE) {
        pulumiEnv.PULUMI_CONFIG_PASSPHRASE = env.PULUMI_CONFIG_PASSPHRASE;
    } else if (environment === "dev") {
        pulumiEnv.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
    } else {
        throw new UsageError(
            `stack ${stack} is a prod stack: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the passphrase that encrypts its secrets); the dev default is never used for prod`,
        );
    }
    return pulumiEnv;
}

/**
 * The driver's options from its command line and environment. Checked in this order, each
 * failure a UsageError: the command line, the project and stack file, the policy pack, the
 * backend, the passphrase.
 */
export function resolveOptions(argv: string[], env: NodeJS.ProcessEnv, workDir: string): DriverOptions {
    const cmd = parseCommandLine(argv, env, workDir);
    const environment = projectStackEnvironment(cmd.projectDir, cmd.stack);
    const policy = runsPolicy(cmd);
    const backendUrl = env.PULUMI_BACKEND_URL || `file://${path.join(workDir, ".state")}`;
    checkBackend(backendUrl, environment, cmd.operation, env);
    const pulumiEnv = engineEnvironment(env, cmd.stack, environment, backendUrl);
    return {
        operation: cmd.operation,
        stack: cmd.stack,
        environment,
        workDir,
        projectDir: cmd.projectDir,
        backendUrl,
        env: pulumiEnv,
        policyPack: policy ? cmd.policyPackDir : undefined,
        policyPackConfig: policy ? path.join(workDir, "policy", "config", `${environment}.json`) : undefined,
        summaryPath: cmd.summaryPath,
        clearPendingCreates: cmd.clearPendingCreates,
        tenants: cmd.tenants,
        concurrency: cmd.concurrency,
        moveTo: cmd.moveTo,
    };
}

/**
 * Refuses a backend that would lose the state or cannot hold it: a prod stack changed from
 * CI on a `file://` backend (the state would leave with the runner, and the next run would
 * create the whole platform again), and an `s3://` URL without a bucket.
 */
function checkBackend(url: string, environment: "dev" | "prod", operation: string, env: NodeJS.ProcessEnv): void {
    if (/^s3:\/\/(\?|\/|$)/.test(url)) {
        throw new UsageError(`PULUMI_BACKEND_URL ${url} names no bucket: use s3://<bucket>?endpoint=<host:port>&s3ForcePathStyle=true (or s3://<bucket> on AWS)`);
    }
    const changes = operation === "up" || operation === "destroy" || operation === "refresh" || operation === "move";
    if (env.CI === "true" && environment === "prod" && changes && url.startsWith("file://")) {
        throw new UsageError(
            `refusing to ${operation} a prod stack on ${url} in CI: that state would leave with the runner. Set PULUMI_BACKEND_URL to the installation's shared backend (s3://<bucket>?…, or the repository secret of that name in the workflow)`,
        );
    }
}

function stackEnvironment(stackFile: string): "dev" | "prod" {
    const doc = yaml.load(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | undefined;
    const value = doc?.config?.["m2m-platform:environment"];
    if (value !== "dev" && value !== "prod") {
        throw new UsageError(`${path.basename(stackFile)} must set m2m-platform:environment to dev or prod (got ${JSON.stringify(value)})`);
    }
    return value;
}
