// Runs the pack's policies the way the Pulumi engine does, without the engine: builds the
// ResourceValidationArgs / StackValidationArgs, resolves each policy's config (schema
// defaults, then the config file's `all` enforcement level, then per-policy entries) and
// collects every reported violation with its policy and effective enforcement level.
import {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as fs from "fs";
import * as path from "path";
import { policies as packPolicies } from "../../policy/policies";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A policy config file: policy name (or `all`) → enforcement level, or an object of properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

export interface Resource {
    type: string;
    name: string;
    props: Record<string, any>;
    urn?: string;
    protect?: boolean;
}

export const policies = packPolicies as Policy[];

export function policyNamed(name: string): Policy {
    const p = policies.find((x) => x.name === name);
    if (!p) {
        throw new Error(`no policy ${name}`);
    }
    return p;
}

export function loadConfig(file: "prod" | "dev"): PackConfig {
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../policy/config", `${file}.json`), "utf8"));
}

/** The engine's reconciliation: schema defaults, `all`'s enforcement level, then the policy's own entry. */
export function effectiveConfig(policy: Policy, config: PackConfig = {}): { level: EnforcementLevel; props: Record<string, unknown> } {
    let level: EnforcementLevel = policy.enforcementLevel ?? "mandatory";
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (typeof v === "object" && v !== null && "default" in v) {
            props[k] = JSON.parse(JSON.stringify((v as { default?: unknown }).default));
        }
    }
    const levelOf = (entry: PackConfig[string] | undefined) => (typeof entry === "string" ? entry : entry?.enforcementLevel);
    level = levelOf(config.all) ?? level;
    const own = config[policy.name];
    level = levelOf(own) ?? level;
    if (own && typeof own === "object") {
        for (const [k, v] of Object.entries(own)) {
            if (k !== "enforcementLevel") {
                props[k] = v;
            }
        }
    }
    return { level, props };
}

class NotApplicable extends Error {}

function isTypeFn(type: string) {
    return (cls: { __pulumiType?: string }) => (cls as { __pulumiType?: string }).__pulumiType === type;
}

function urnOf(r: Resource): string {
    return r.urn ?? `urn:pulumi:test::m2m-platform::${r.type}::${r.name}`;
}

export async function runResourcePolicy(policy: Policy, resource: Resource, config: PackConfig = {}): Promise<Violation[]> {
    if (!("validateResource" in policy) || !policy.validateResource) {
        return [];
    }
    const { level, props } = effectiveConfig(policy, config);
    if (level === "disabled") {
        return [];
    }
    const out: Violation[] = [];
    const report = (message: string, urn?: string) => out.push({ policy: policy.name, level: level === "remediate" ? "mandatory" : level, message, urn: urn ?? urnOf(resource) });
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        const pulumiType = (validate as { __pulumiType?: string }).__pulumiType;
        if (pulumiType && pulumiType !== resource.type) {
            continue;
        }
        const args = {
            type: resource.type,
            props: resource.props,
            urn: urnOf(resource),
            name: resource.name,
            opts: { protect: !!resource.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
            stackTags: new Map<string, string>(),
            isType: isTypeFn(resource.type),
            asType: (cls: { __pulumiType?: string }) => (isTypeFn(resource.type)(cls) ? resource.props : undefined),
            getConfig: () => props,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        } as unknown as ResourceValidationArgs;
        try {
            await validate(args, report);
        } catch (e) {
            if (!(e instanceof NotApplicable)) {
                throw e;
            }
        }
    }
    return out;
}

function policyResources(resources: Resource[]): PolicyResource[] {
    return resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props: r.props,
        opts: { protect: !!r.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
        dependencies: [],
        propertyDependencies: {},
        isType: isTypeFn(r.type),
        asType: (cls: { __pulumiType?: string }) => (isTypeFn(r.type)(cls) ? r.props : undefined),
    })) as unknown as PolicyResource[];
}

export async function runStackPolicy(policy: Policy, resources: Resource[], config: PackConfig = {}): Promise<Violation[]> {
    if (!("validateStack" in policy)) {
        return [];
    }
    const { level, props } = effectiveConfig(policy, config);
    if (level === "disabled") {
        return [];
    }
    const out: Violation[] = [];
    const args = {
        resources: policyResources(resources),
        stackTags: new Map<string, string>(),
        getConfig: () => props,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    } as unknown as StackValidationArgs;
    try {
        await policy.validateStack(args, (message, urn) => out.push({ policy: policy.name, level, message, urn }));
    } catch (e) {
        if (!(e instanceof NotApplicable)) {
            throw e;
        }
    }
    return out;
}

/** Runs one policy against a set of resources: each resource in turn, or the whole stack. */
export async function runPolicy(policy: Policy, resources: Resource[], config: PackConfig = {}): Promise<Violation[]> {
    if ("validateStack" in policy) {
        return runStackPolicy(policy, resources, config);
    }
    const out: Violation[] = [];
    for (const r of resources) {
        out.push(...(await runResourcePolicy(policy, r, config)));
    }
    return out;
}

/** Runs every policy of the pack over a stack's resources. */
export async function runPack(resources: Resource[], config: PackConfig = {}, pack: Policies = policies): Promise<Violation[]> {
    const out: Violation[] = [];
    for (const p of pack as Policy[]) {
        out.push(...(await runPolicy(p, resources, config)));
    }
    return out;
}

/** Violations as readable lines, for assertion messages. */
export function show(violations: Violation[]): string {
    return violations.map((v) => `  [${v.level}] ${v.policy}: ${v.message}`).join("\n") || "  (none)";
}
