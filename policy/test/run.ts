// Runs the pack's policies the way the Pulumi engine does, without the engine: builds the
// ResourceValidationArgs / StackValidationArgs, resolves each policy's config (schema
// defaults, then the config file's `all` enforcement level, then per-policy entries) and
// collects every reported violation with its policy and effective enforcement level.
//
// Props reach the policies as they do from @pulumi/policy's analyzer server: wrapped in its
// unknown-checking proxy, which throws UnknownValueError when a policy reads a value that is
// unknown during preview. Like the server, the runner turns that error into an advisory
// "can't run policy … during preview" report (marked `cantRun`) instead of failing.
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
import { policies as packPolicies } from "../policies";

/** @pulumi/policy's proxy module: internal, so it ships without type declarations. */
interface ProxyModule {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: any[]) => Error;
    unknownStringValue: string;
    unknownNumberValue: string;
    unknownBooleanValue: string;
    unknownArrayValue: string;
    unknownObjectValue: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy: ProxyModule = require("@pulumi/policy/proxy");
export const { unknownCheckingProxy, UnknownValueError } = proxy;
/** The sentinels the engine's unknowns arrive as (every unknown the CLI sends is the string one). */
export const UNKNOWN = proxy.unknownStringValue;
export const UNKNOWN_SENTINELS = {
    string: proxy.unknownStringValue,
    number: proxy.unknownNumberValue,
    boolean: proxy.unknownBooleanValue,
    array: proxy.unknownArrayValue,
    object: proxy.unknownObjectValue,
};

const PACK = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8")) as { version: string };
const PACK_NAME = "m2m-platform";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A policy config file: policy name (or `all`) → enforcement level, or an object of properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
    /** The policy read an unknown value and could not run (the server's UnknownValueError report). */
    cantRun?: true;
}

export interface Resource {
    type: string;
    name: string;
    props: Record<string, any>;
    urn?: string;
    protect?: boolean;
    /** URNs of the resources this one depends on (stack policies see them as resources). */
    dependencies?: string[];
    /** Per top-level property, the URNs of the resources it depends on. */
    propertyDependencies?: Record<string, string[]>;
}

/** What server.js reports when a policy throws UnknownValueError, at the level it uses (advisory). */
function cantRun(policy: Policy, e: Error, urn?: string): Violation {
    return {
        policy: policy.name,
        level: "advisory",
        message: `can't run policy '${policy.name}' from policy pack '${PACK_NAME}@v${PACK.version}' during preview: ${e.message}`,
        urn,
        cantRun: true,
    };
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
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, "../config", `${file}.json`), "utf8"));
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

export function urnOf(r: Resource): string {
    return r.urn ?? `urn:pulumi:test::m2m-platform::${r.type}::${r.name}`;
}

export async function runResourcePolicy(policy: Policy, resource: Resource, config: PackConfig = {}): Promise<Violation[]> {
    if (!("validateResource" in policy) || !policy.validateResource) {
        return [];
    }
    const { level, props: settings } = effectiveConfig(policy, config);
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
        // A fresh proxy per validation, as the server deserializes the props for each one.
        const props = unknownCheckingProxy(resource.props);
        const args = {
            type: resource.type,
            props,
            urn: urnOf(resource),
            name: resource.name,
            opts: { protect: !!resource.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
            stackTags: new Map<string, string>(),
            isType: isTypeFn(resource.type),
            asType: (cls: { __pulumiType?: string }) => (isTypeFn(resource.type)(cls) ? props : undefined),
            getConfig: () => settings,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        } as unknown as ResourceValidationArgs;
        try {
            await validate(args, report);
        } catch (e) {
            if (e instanceof UnknownValueError) {
                out.push(cantRun(policy, e, urnOf(resource)));
            } else if (!(e instanceof NotApplicable)) {
                throw e;
            }
        }
    }
    return out;
}

/** The stack's resources as the server builds them: proxied props, dependencies resolved to resources. */
function policyResources(resources: Resource[]): PolicyResource[] {
    const out = resources.map((r) => {
        const props = unknownCheckingProxy(r.props);
        return {
            type: r.type,
            name: r.name,
            urn: urnOf(r),
            props,
            opts: { protect: !!r.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
            dependencies: [] as PolicyResource[],
            propertyDependencies: {} as Record<string, PolicyResource[]>,
            isType: isTypeFn(r.type),
            asType: (cls: { __pulumiType?: string }) => (isTypeFn(r.type)(cls) ? props : undefined),
        };
    });
    const byUrn = new Map(out.map((p) => [p.urn, p]));
    const resolve = (urns: string[] = []) => urns.map((u) => byUrn.get(u)).filter((p): p is (typeof out)[number] => p !== undefined) as unknown as PolicyResource[];
    resources.forEach((r, i) => {
        out[i].dependencies = resolve(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            out[i].propertyDependencies[k] = resolve(urns);
        }
    });
    return out as unknown as PolicyResource[];
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
        if (e instanceof UnknownValueError) {
            out.push(cantRun(policy, e));
        } else if (!(e instanceof NotApplicable)) {
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
