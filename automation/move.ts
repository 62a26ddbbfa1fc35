// Moving a tenant between the layouts (README, "Moving a tenant between the layouts"):
// `pulumi state move` of its AgencyTenant and everything under it, from the platform stack
// to its tenant stack or back. Only the state moves: the cluster is not touched, so the
// tenant's namespace, claims and workloads stay as they are (the same UIDs), and the next
// `up` of either stack reports no change to them. Before an up, the driver also refuses a
// layout whose state still holds a tenant elsewhere, which an up would otherwise delete and
// create again.
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DriverOptions, UsageError } from "./options";
import { Installation, checkTenantStackFile, tenantStackName } from "./tenants";

const PROJECT = "m2m-platform";
const TENANT_TYPE = "m2m:platform:AgencyTenant";

/** Where a tenant runs: in the platform stack (`platform`) or in a tenant stack of its own (`stack`). */
export type Layout = "platform" | "stack";

/** The URN of a tenant's AgencyTenant: under the platform's Agency, or at the root of its tenant stack. */
export function tenantUrn(platform: string, tenant: string, layout: Layout): string {
    return layout === "platform"
        ? `urn:pulumi:${platform}::${PROJECT}::m2m:platform:Agency$${TENANT_TYPE}::agency-${tenant}`
        : `urn:pulumi:${tenantStackName(platform, tenant)}::${PROJECT}::${TENANT_TYPE}::agency-${tenant}`;
}

/** The tenants whose AgencyTenant a stack's exported state holds. */
export function tenantsInState(deployment: unknown): string[] {
    const resources = ((deployment as { resources?: { urn: string; type: string }[] })?.resources ?? []).filter((r) => r.type === TENANT_TYPE);
    return resources.map((r) => r.urn.split("::").pop()!.replace(/^agency-/, ""));
}

/** A move asked for: the tenants and the layout they go to, checked against the platform's stack file. */
export function checkMove(projectDir: string, inst: Installation, tenants: string[], to: Layout): void {
    for (const t of tenants) {
        const listed = to === "stack" ? inst.tenantStacks : inst.tenants;
        if (!listed.includes(t)) {
            const [from, into] = to === "stack" ? ["agency.tenants", "agency.tenantStacks"] : ["agency.tenantStacks", "agency.tenants"];
            throw new UsageError(
                `move --to ${to}: Pulumi.${inst.platform}.yaml does not list ${t} in m2m-platform:${into}. Fix: first move ${t} from ${from} to ${into} there (the config says where the tenant runs; the move carries its state there), then run the move again`,
            );
        }
        if (to === "stack") {
            checkTenantStackFile(projectDir, inst.platform, t);
        }
    }
}

async function openStack(opts: DriverOptions, name: string, create: boolean): Promise<Stack | undefined> {
    const args = { stackName: name, workDir: opts.projectDir };
    const ws = { envVars: opts.env, secretsProvider: "passphrase" };
    if (create) {
        return LocalWorkspace.createOrSelectStack(args, ws);
    }
    try {
        return await LocalWorkspace.selectStack(args, ws);
    } catch (err) {
        if (/no stack named|not found|does not exist/i.test(String((err as Error)?.message ?? err))) {
            return undefined;
        }
        throw err;
    }
}

async function stateTenants(stack: Stack | undefined): Promise<string[]> {
    return stack ? tenantsInState((await stack.exportStack()).deployment) : [];
}

/** Moves each tenant's state to the layout `to`; what happened, a line a tenant. */
export async function moveTenants(opts: DriverOptions, inst: Installation, tenants: string[], to: Layout, log: (line: string) => void): Promise<string[]> {
    checkMove(opts.projectDir, inst, tenants, to);
    const platform = await openStack(opts, inst.platform, false);
    if (!platform) {
        throw new UsageError(`platform stack ${inst.platform} does not exist: there is no state to move`);
    }
    const done: string[] = [];
    for (const t of tenants) {
        const own = tenantStackName(inst.platform, t);
        const ownStack = await openStack(opts, own, to === "stack");
        const [source, dest] = to === "stack" ? [inst.platform, own] : [own, inst.platform];
        const [sourceStack, destStack] = to === "stack" ? [platform, ownStack] : [ownStack, platform];
        if (!(await stateTenants(sourceStack)).includes(t)) {
            if ((await stateTenants(destStack)).includes(t)) {
                done.push(`${t}: already in stack ${dest}, nothing to move`);
                continue;
            }
            throw new UsageError(`tenant ${t} is in the state of neither ${source} nor ${dest}: nothing to move (deploy it with \`npm run deploy -- up --stack ${inst.platform}\`)`);
        }
        const urn = tenantUrn(inst.platform, t, to === "stack" ? "platform" : "stack");
        log(`pulumi state move --source ${source} --dest ${dest} ${urn}`);
        const r = spawnSync("pulumi", ["state", "move", "--source", source, "--dest", dest, "--yes", "--non-interactive", "--cwd", opts.projectDir, urn], {
            env: { ...process.env, ...opts.env },
            encoding: "utf8",
        });
        log(`${r.stdout ?? ""}${r.stderr ?? ""}`.trim());
        if (r.status !== 0) {
            throw new Error(`pulumi state move of tenant ${t} from ${source} to ${dest} failed (exit ${r.status}); nothing was changed in the cluster:\n${r.stderr}`);
        }
        done.push(`${t}: moved from stack ${source} to stack ${dest}; the cluster is untouched`);
    }
    return done;
}

/**
 * Before an up: a tenant whose state is still in the other layout's stack would be deleted
 * there and created again here. A UsageError names each one and the move that fixes it.
 */
export async function checkLayouts(opts: DriverOptions, inst: Installation): Promise<void> {
    const problems: string[] = [];
    // Only what could be astray is read: the platform's state when it has tenant stacks, and
    // the old tenant stack of a one-stack tenant whose stack file is still there.
    const inPlatform = inst.tenantStacks.length ? await stateTenants(await openStack(opts, inst.platform, false)) : [];
    for (const t of inst.tenantStacks.filter((x) => inPlatform.includes(x))) {
        problems.push(`tenant ${t} is listed in agency.tenantStacks, but its resources are still in stack ${inst.platform}'s state: run \`npm run deploy -- move --stack ${inst.platform} --tenants ${t} --to stack\` first`);
    }
    for (const t of inst.tenants) {
        const own = await ownStackIfFile(opts, inst.platform, t);
        if (own && (await stateTenants(own)).includes(t)) {
            problems.push(`tenant ${t} is listed in agency.tenants, but its resources are still in stack ${tenantStackName(inst.platform, t)}'s state: run \`npm run deploy -- move --stack ${inst.platform} --tenants ${t} --to platform\` first`);
        }
    }
    if (problems.length) {
        throw new UsageError(`${problems.join("; ")}. An up now would delete each tenant's workloads in one stack and create them again in the other; nothing was run`);
    }
}

/** A one-stack tenant's old tenant stack, when a stack file for it is still there. */
async function ownStackIfFile(opts: DriverOptions, platform: string, tenant: string): Promise<Stack | undefined> {
    if (!fs.existsSync(path.join(opts.projectDir, `Pulumi.${tenantStackName(platform, tenant)}.yaml`))) {
        return undefined;
    }
    return openStack(opts, tenantStackName(platform, tenant), false);
}
