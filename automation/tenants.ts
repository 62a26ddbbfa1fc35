// The installation a platform stack heads: its stack file's tenants in both layouts, and the
// tenant stacks `--tenants` selects, each checked against its own stack file before any
// engine runs (README, "Tenant stacks"). Free of side effects but for reading files.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { AGENCY } from "../config/agency";
import type { TenantPlatform } from "../config";
import { UsageError } from "./options";

const PROJECT = "m2m-platform";

/** A platform stack and the tenants its stack file lists, in the one-stack layout and as stacks of their own. */
export interface Installation {
    platform: string;
    /** `agency.tenants`: run by the platform stack itself. */
    tenants: string[];
    /** `agency.tenantStacks`: each in stack `<platform>.<tenant>`. */
    tenantStacks: string[];
}

/** A tenant stack's name: `<platform>.<tenant>` (stack file Pulumi.<platform>.<tenant>.yaml). */
export function tenantStackName(platform: string, tenant: string): string {
    return `${platform}.${tenant}`;
}

function stackConfig(projectDir: string, stack: string): Record<string, unknown> {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    return doc?.config ?? {};
}

/** Whether `stack`'s file makes it a tenant stack (`stackKind: tenant`). */
export function isTenantStack(projectDir: string, stack: string): boolean {
    return stackConfig(projectDir, stack)[`${PROJECT}:stackKind`] === "tenant";
}

/** The names a stack file lists at `agency.<field>`, or the declared default. */
function listed(agency: Record<string, unknown>, field: "tenants" | "tenantStacks"): string[] {
    const value = agency[field] ?? (AGENCY.value.fields[field].default as string[]);
    return Array.isArray(value) ? value.map(String) : [];
}

/** The installation `platform`'s stack file describes; a UsageError for a tenant listed in both layouts. */
export function readInstallation(projectDir: string, platform: string): Installation {
    const agency = (stackConfig(projectDir, platform)[`${PROJECT}:agency`] ?? {}) as Record<string, unknown>;
    const inst = { platform, tenants: listed(agency, "tenants"), tenantStacks: listed(agency, "tenantStacks") };
    const both = inst.tenantStacks.filter((t) => inst.tenants.includes(t));
    if (both.length) {
        throw new UsageError(
            `Pulumi.${platform}.yaml lists ${both.join(", ")} in both layouts (m2m-platform:agency.tenants and m2m-platform:agency.tenantStacks): keep each tenant in one list (README, "Moving a tenant between the layouts"); nothing was run`,
        );
    }
    return inst;
}

/**
 * The tenant stacks to run: every one (`--tenants all` or no --tenants), or those named. A
 * UsageError for a name that is no tenant stack of the platform, or whose stack file is
 * missing or names another platform or tenant.
 */
export function selectTenants(projectDir: string, inst: Installation, selection: "all" | string[] | undefined): string[] {
    const chosen = selection === undefined || selection === "all" ? inst.tenantStacks : selection;
    for (const t of chosen) {
        if (!inst.tenantStacks.includes(t)) {
            const where = inst.tenants.includes(t) ? `${t} runs in stack ${inst.platform} itself (its agency.tenants), not as a tenant stack` : `${t} is no tenant stack of ${inst.platform}`;
            const known = inst.tenantStacks.length ? inst.tenantStacks.join(", ") : "none";
            throw new UsageError(`--tenants: ${where} (the tenant stacks of Pulumi.${inst.platform}.yaml's agency.tenantStacks: ${known}). Fix: name one of them, or all`);
        }
        checkTenantStackFile(projectDir, inst.platform, t);
    }
    return chosen;
}

/** A tenant stack's file: present, stackKind tenant, and naming this platform and tenant. */
export function checkTenantStackFile(projectDir: string, platform: string, tenant: string): void {
    const stack = tenantStackName(platform, tenant);
    const file = `Pulumi.${stack}.yaml`;
    if (!fs.existsSync(path.join(projectDir, file))) {
        throw new UsageError(
            `no stack file ${file} for tenant stack ${stack}: create it with m2m-platform:environment (the platform's), m2m-platform:stackKind: tenant and m2m-platform:tenantStack: {platform: ${platform}, tenant: ${tenant}} (README, "Tenant stacks")`,
        );
    }
    const config = stackConfig(projectDir, stack);
    const own = (config[`${PROJECT}:tenantStack`] ?? {}) as { platform?: unknown; tenant?: unknown };
    if (config[`${PROJECT}:stackKind`] !== "tenant" || own.platform !== platform || own.tenant !== tenant) {
        throw new UsageError(`${file} must set m2m-platform:stackKind to tenant and m2m-platform:tenantStack to {platform: ${platform}, tenant: ${tenant}} (got stackKind ${JSON.stringify(config[`${PROJECT}:stackKind`])}, tenantStack ${JSON.stringify(own)})`);
    }
}

/**
 * The policy config a tenant stack runs the pack with: its environment's, with the tenants'
 * PriorityClass as a cluster class, since the platform stack creates it, not the tenant stack.
 */
export function tenantPolicyConfig(base: Record<string, unknown>, platform: Pick<TenantPlatform, "priorityClass">): Record<string, unknown> {
    const key = "pods-have-priority-class";
    // A policy's entry is its enforcement level, or an object of its settings.
    const entry = base[key];
    const own = (typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {})) as { clusterPriorityClasses?: unknown[] };
    return { ...base, [key]: { ...own, clusterPriorityClasses: [...(own.clusterPriorityClasses ?? []), platform.priorityClass] } };
}
