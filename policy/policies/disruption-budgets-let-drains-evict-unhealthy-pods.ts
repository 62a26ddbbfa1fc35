import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, TYPES, UNKNOWN, UNKNOWN_TEXT, Workload, anyTrue, configOf, describe, get, isTigerBeetle, isUnknown, message, ofType, selects, stackWorkloads, str } from "../lib";

interface Config {
    quorumWorkloads: string[];
}

const ALWAYS = "AlwaysAllow";
const IF_HEALTHY = "IfHealthyBudget";

/**
 * Issue 9: by default (IfHealthyBudget) a PodDisruptionBudget lets a pod that is not Ready be
 * evicted only while the budget has room; a tier that is crash-looping has spent it, so a
 * node drain waits on its pods forever. AlwaysAllow lets drains evict pods that are not
 * Ready, which serve nothing anyway. A quorum is the exception: a TigerBeetle replica that is
 * not Ready may be catching up and about to restore the majority, so its budget keeps
 * IfHealthyBudget (set, or unset: the default). TigerBeetle is recognised as elsewhere in
 * the pack (its name label, or its name); `quorumWorkloads` adds others.
 */
export const disruptionBudgetsLetDrainsEvictUnhealthyPods: StackValidationPolicy = {
    name: "disruption-budgets-let-drains-evict-unhealthy-pods",
    description:
        "Every PodDisruptionBudget sets unhealthyPodEvictionPolicy: AlwaysAllow, so a drain is never blocked by pods that are not Ready; budgets that select a quorum workload (TigerBeetle) keep IfHealthyBudget (or leave it unset, the default).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            quorumWorkloads: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Workloads (namespace/name or name) besides TigerBeetle whose budgets guard a quorum and keep IfHealthyBudget.",
            },
        },
    },
    validateStack: (args, report) => {
        const { quorumWorkloads } = configOf<Config>(args, disruptionBudgetsLetDrainsEvictUnhealthyPods.configSchema!);
        const pdbs = ofType(args.resources, TYPES.pdb);
        if (pdbs.length === 0) {
            return args.notApplicable("the stack has no PodDisruptionBudget");
        }
        const item = CHECKLIST.disruptionBudgets;
        const listed = (w: Workload) => quorumWorkloads.includes(w.ref.name) || (!isUnknown(w.ref.namespace) && quorumWorkloads.includes(`${w.ref.namespace}/${w.ref.name}`));
        const quorums = stackWorkloads(args.resources).filter((w) => isTigerBeetle(w) || listed(w));
        for (const p of pdbs) {
            const selector = get(p.props, "spec", "selector");
            // Whether the budget selects a quorum workload's pods: UNKNOWN when its selector, a
            // namespace or a label is unknown and the known parts do not rule it out.
            const selecting = quorums.map((w): { w: Workload; s: Maybe<boolean> } => {
                const sameNs: Maybe<boolean> = isUnknown(p.ref.namespace) || isUnknown(w.ref.namespace) ? UNKNOWN : p.ref.namespace === w.ref.namespace;
                const s = sameNs === false ? false : selects(selector, w.podLabels, false);
                return { w, s: s === true && isUnknown(sameNs) ? UNKNOWN : s };
            });
            const guards = anyTrue(selecting.map((x) => x.s));
            const raw = str(get(p.props, "spec", "unhealthyPodEvictionPolicy"));
            const policy = raw === "" ? undefined : raw;
            if (isUnknown(guards)) {
                // Which policy it needs depends on whether it guards a quorum, which is not known:
                // neither value is right for both, so it is reported.
                const maybe = selecting.filter((x) => isUnknown(x.s)).map((x) => describe(x.w.ref));
                report(message(p.ref, `whether it selects the quorum workload ${maybe.join(", ")} is ${UNKNOWN_TEXT} (its selector or namespace is), so the unhealthyPodEvictionPolicy it needs is not known`, item, "give the PodDisruptionBudget a selector and namespace known before apply"), p.urn);
                continue;
            }
            if (guards) {
                const of = selecting.filter((x) => x.s === true).map((x) => describe(x.w.ref)).join(", ");
                // An unknown policy may be AlwaysAllow: not known to keep the quorum's rule, reported.
                if (isUnknown(policy) || policy === ALWAYS) {
                    report(
                        message(
                            p.ref,
                            `guards the quorum of ${of} but its unhealthyPodEvictionPolicy is ${isUnknown(policy) ? UNKNOWN_TEXT : ALWAYS}, so a drain ${isUnknown(policy) ? "may evict" : "evicts"} a replica that is not Ready (one catching up) even when the budget is spent`,
                            item,
                            `set unhealthyPodEvictionPolicy: ${IF_HEALTHY} (or leave it unset, the default) on a quorum's budget`,
                        ),
                        p.urn,
                    );
                }
                continue;
            }
            // Any other budget: AlwaysAllow. An unknown policy is not known to be it: reported.
            if (policy !== ALWAYS) {
                const what = isUnknown(policy) ? UNKNOWN_TEXT : policy === undefined ? `unset (${IF_HEALTHY}, the default)` : policy;
                report(
                    message(p.ref, `unhealthyPodEvictionPolicy is ${what}, so a node drain cannot evict its pods that are not Ready once the budget is spent, and a crash-looping tier blocks node maintenance`, item, `set unhealthyPodEvictionPolicy: ${ALWAYS}`),
                    p.urn,
                );
            }
        }
    },
};
