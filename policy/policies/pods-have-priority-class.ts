import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, ResourceRef, TYPES, UNKNOWN_TEXT, Workload, configOf, describe, get, isUnknown, labelValue, message, num, ofType, propertySources, shown, str, workloadOf } from "../lib";

interface ClusterClass {
    name: string;
    value: number;
    preemptionPolicy?: string;
}

interface Config {
    clusterPriorityClasses: ClusterClass[];
    tenantLabel: string;
    tenantLabelValues: string[];
    tenantsMustNotPreempt: boolean;
}

/** A PriorityClass a pod can name: one of the stack's, or a cluster class from config. */
interface PriorityClassInfo {
    /** UNKNOWN when the stack's PriorityClass has a metadata.name unknown during preview. */
    name: Maybe<string>;
    value: Maybe<number>;
    /** The API's default is PreemptLowerPriority. */
    preemptionPolicy: Maybe<string>;
    ref: ResourceRef;
    urn?: string;
}

const PREEMPT = "PreemptLowerPriority";

function stackClass(r: PolicyResource & { ref: ResourceRef }): PriorityClassInfo {
    const name = str(get(r.props, "metadata", "name"));
    return {
        name: name ?? "",
        // value is required by the API; an absent one is the lowest rank there is.
        value: num(get(r.props, "value")) ?? 0,
        preemptionPolicy: str(get(r.props, "preemptionPolicy")) ?? PREEMPT,
        ref: r.ref,
        urn: r.urn,
    };
}

/** Up to three workloads by kind, namespace and name, and how many more. */
function some(ws: Workload[]): string {
    const shownOnes = ws.slice(0, 3).map((w) => describe(w.ref));
    return ws.length > 3 ? `${shownOnes.join(", ")} and ${ws.length - 3} more` : shownOnes.join(", ");
}

type Report = (message: string, urn?: string) => void;
const item = CHECKLIST.disruptionBudgets;
const FIX = "set the pod's priorityClassName to a PriorityClass the stack creates (the platform's for a platform tier, the tenants' for a tenant pod)";

/** The classes a pod can name: the stack's by URN, the configured cluster classes, and the stack's whose name is unknown. */
interface Classes {
    stack: Map<string, PriorityClassInfo>;
    cluster: PriorityClassInfo[];
    unnamed: PriorityClassInfo[];
}

/** Tenant pods by the class they use. */
type TenantPods = Map<PriorityClassInfo, Workload[]>;
/** Platform pods, each with the class it uses. */
type PlatformPods = { w: Workload; c: PriorityClassInfo }[];

/** The stack's PriorityClasses and the cluster classes from config. */
function knownClasses(resources: PolicyResource[], cfg: Config): Classes {
    const stack = new Map(ofType(resources, TYPES.priorityClass).map((r) => [r.urn, stackClass(r)]));
    const cluster: PriorityClassInfo[] = cfg.clusterPriorityClasses.map((c) => ({
        name: c.name,
        value: c.value,
        preemptionPolicy: c.preemptionPolicy ?? PREEMPT,
        ref: { kind: "PriorityClass", name: c.name },
    }));
    return { stack, cluster, unnamed: [...stack.values()].filter((c) => isUnknown(c.name)) };
}

/** The class a workload's pod names; undefined, reported, when it names none, or one not known to be the stack's or a configured cluster class. */
function podClass(r: PolicyResource, w: Workload, classes: Classes, report: Report): PriorityClassInfo | undefined {
    const name = str(get(w.podSpec, "priorityClassName"));
    if (isUnknown(name)) {
        // Unknown during preview: the program passes a PriorityClass's metadata.name output.
        // When the pod spec depends on exactly one PriorityClass of the stack (the
        // engine's propertyDependencies), it names that class; otherwise which class it
        // names, and so its rank, is not known: reported.
        const sources = propertySources(r, "spec").filter((d) => d.type === TYPES.priorityClass && classes.stack.has(d.urn));
        if (sources.length !== 1) {
            report(message(w.ref, `pod's priorityClassName is ${UNKNOWN_TEXT} and not known to name a PriorityClass of the stack`, item, `${FIX}, by a name known before apply or its PriorityClass's metadata.name`), w.urn);
            return undefined;
        }
        return classes.stack.get(sources[0].urn);
    }
    if (name === undefined || name === "") {
        report(message(w.ref, "pod names no priorityClassName, so it runs at the cluster's default priority and competes with autoscaled tenant pods for nodes", item, FIX), w.urn);
        return undefined;
    }
    const c = [...classes.stack.values()].find((x) => x.name === name) ?? classes.cluster.find((x) => x.name === name);
    if (!c) {
        // A PriorityClass of the stack whose name is unknown may be this one: not known.
        const note = classes.unnamed.length > 0 ? ` (the name of ${classes.unnamed.map((x) => x.ref.name).join(", ")} is ${UNKNOWN_TEXT})` : "";
        const problem = note
            ? `pod names PriorityClass ${name}, which is not known to be a PriorityClass of this stack${note}`
            : `pod names PriorityClass ${name}, which is neither a PriorityClass of this stack nor one of clusterPriorityClasses`;
        report(message(w.ref, problem, item, `${FIX}, or list the cluster's class in clusterPriorityClasses`), w.urn);
    }
    return c;
}

/**
 * How many workloads the stack has, and each one's pod with its class, as a tenant's or the
 * platform's; a pod whose class or role is not known is reported and left out.
 */
function podsByRole(resources: PolicyResource[], cfg: Config, classes: Classes, report: Report): { workloads: number; tenants: TenantPods; platform: PlatformPods } {
    const tenants: TenantPods = new Map();
    const platform: PlatformPods = [];
    let workloads = 0;
    for (const r of resources) {
        const w = workloadOf(r.type, r.props, r.urn, r.name);
        if (!w) {
            continue;
        }
        workloads++;
        const c = podClass(r, w, classes, report);
        if (!c) {
            continue;
        }
        const role = labelValue(w.podLabels, cfg.tenantLabel);
        if (isUnknown(role)) {
            // Whether the pod is a tenant's decides which rank it needs: not known, reported.
            report(message(w.ref, `pod label ${cfg.tenantLabel} is ${UNKNOWN_TEXT}, so whether it is a tenant pod, and the rank its PriorityClass needs, is not known`, item, `label the pod template with a ${cfg.tenantLabel} known before apply`), w.urn);
        } else if (role !== undefined && cfg.tenantLabelValues.includes(role)) {
            tenants.set(c, [...(tenants.get(c) ?? []), w]);
        } else {
            platform.push({ w, c });
        }
    }
    return { workloads, tenants, platform };
}

/**
 * A class value unknown during preview leaves its rank unknown: reported on the class, when it
 * takes part in the comparison (platform and tenant pods both present); the comparisons it is
 * not part of still run.
 */
function reportUnknownValues(tenants: TenantPods, platform: PlatformPods, report: Report): void {
    const compared = platform.length > 0 && tenants.size > 0 ? new Set([...tenants.keys(), ...platform.map((p) => p.c)]) : new Set<PriorityClassInfo>();
    for (const c of compared) {
        if (isUnknown(c.value)) {
            report(message(c.ref, `value is ${UNKNOWN_TEXT}, so whether the platform's pods rank above the tenants' is not known`, item, "set the PriorityClass's value to a literal"), c.urn);
        }
    }
}

/** Every platform pod whose known class value is not above the highest known class tenant pods use, reported. */
function reportPlatformRanks(tenants: TenantPods, platform: PlatformPods, report: Report): void {
    const tenantClasses = [...tenants.keys()].filter((c) => !isUnknown(c.value));
    const top = tenantClasses.sort((a, b) => (b.value as number) - (a.value as number))[0];
    if (!top) {
        return;
    }
    for (const { w, c } of platform) {
        if (!isUnknown(c.value) && c.value <= (top.value as number)) {
            report(
                message(
                    w.ref,
                    `pod runs at PriorityClass ${shown(c.name)} (value ${c.value}), not above ${shown(top.name)} (value ${shown(top.value)}) that tenant pods use (${some(tenants.get(top)!)}), so autoscaled tenant pods can keep it from the nodes it needs`,
                    item,
                    "give the platform's tiers a PriorityClass whose value is above every class tenant pods use",
                ),
                w.urn,
            );
        }
    }
}

/** Every class tenant pods use whose preemptionPolicy is not Never, reported. */
function reportTenantPreemption(tenants: TenantPods, report: Report): void {
    for (const [c, users] of tenants) {
        // An unknown preemptionPolicy is not known to be Never: reported.
        if (c.preemptionPolicy !== "Never") {
            const policy = isUnknown(c.preemptionPolicy) ? UNKNOWN_TEXT : c.preemptionPolicy;
            report(
                message(c.ref, `tenant pods (${some(users)}) use it and its preemptionPolicy is ${policy}, so a tenant scale-up ${isUnknown(c.preemptionPolicy) ? "is not known not to evict" : "evicts"} running pods of lower priority instead of waiting for room`, item, "set preemptionPolicy: Never on the tenants' PriorityClass (their pods still queue ahead of lower-priority pods)"),
                c.urn,
            );
        }
    }
}

/**
 * Issue 9: when nodes run short, the scheduler ranks pods by priority. Tenant pods autoscale
 * (the agency's HPA); without priorities a tenant scale-up competes with, and can starve, a
 * platform pod rescheduled after a node loss. So every pod names a PriorityClass the stack
 * creates (or a cluster class from config), the platform's tiers rank strictly above every
 * class tenant pods use, and (by default) tenant classes do not preempt.
 *
 * Tenant classes and preemption: a tenant class with PreemptLowerPriority lets each tenant
 * scale-up evict running pods of lower priority (anything at the default 0: monitoring,
 * other teams' workloads) to make room; with `Never` tenant pods still queue ahead of
 * lower-priority pods but wait for capacity and displace nothing. The platform's class
 * keeps preempting, so a platform pod displaced by a node loss can evict tenant pods.
 */
export const podsHavePriorityClass: StackValidationPolicy = {
    name: "pods-have-priority-class",
    description:
        "Every workload's pod names a priorityClassName that is a PriorityClass of the stack (or a configured cluster class); the platform's pods rank above every class tenant pods use, and tenant classes do not preempt (preemptionPolicy Never).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            clusterPriorityClasses: {
                type: "array",
                items: {
                    type: "object",
                    properties: { name: { type: "string" }, value: { type: "integer" }, preemptionPolicy: { type: "string", enum: [PREEMPT, "Never"] } },
                    required: ["name", "value"],
                },
                default: [],
                description: "PriorityClasses the cluster provides (not created by the stack) that pods may name, with their value and preemptionPolicy (default PreemptLowerPriority).",
            },
            tenantLabel: { type: "string", default: "app.kubernetes.io/name", description: "The pod label that marks a tenant pod." },
            tenantLabelValues: { type: "array", items: { type: "string" }, default: ["agency-agent", "agency-brain"], description: "Values of tenantLabel that mark a tenant pod; every other pod is a platform pod." },
            tenantsMustNotPreempt: { type: "boolean", default: true, description: "Whether the classes tenant pods use must have preemptionPolicy Never." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, podsHavePriorityClass.configSchema!);
        const { workloads, tenants, platform } = podsByRole(args.resources, cfg, knownClasses(args.resources, cfg), report);
        if (workloads === 0) {
            return args.notApplicable("the stack has no workloads");
        }
        reportUnknownValues(tenants, platform, report);
        reportPlatformRanks(tenants, platform, report);
        if (cfg.tenantsMustNotPreempt) {
            reportTenantPreemption(tenants, report);
        }
    },
};
