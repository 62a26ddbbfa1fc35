import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Condition, HOSTNAME_KEY, Judgement, Maybe, TYPES, UNKNOWN_TEXT, Workload, antiAffinityTerms, configOf, is, isTigerBeetle, isUnknown, judge, kindOf, maxReplicas, message, ofType, shown, spreadConstraints, stackWorkloads } from "../lib";

interface Config {
    exemptWorkloads: string[];
}

/** The placements that spread a workload's pods over nodes, judged; and the lists that are unknown. */
function nodeSpreads(w: Workload): { judged: { at: string; hostname: Maybe<boolean>; j: Judgement }[]; unknownLists: string[] } {
    const judged: { at: string; hostname: Maybe<boolean>; j: Judgement }[] = [];
    const unknownLists: string[] = [];
    const onHostname = (at: string, key: unknown): Condition => ({ holds: is(key, HOSTNAME_KEY), fails: `its topologyKey is ${shown(key ?? "unset")}`, field: `${at}.topologyKey` });
    const selectsOwn = (at: string, holds: Maybe<boolean>): Condition => ({ holds, fails: "its labelSelector does not select the workload's pods", field: `${at}.labelSelector` });
    const spreads = spreadConstraints(w);
    if (isUnknown(spreads)) {
        unknownLists.push("topologySpreadConstraints");
    } else {
        // Any whenUnsatisfiable and maxSkew: ScheduleAnyway still places replicas on distinct
        // nodes whenever there are nodes to spare, which is all a stateless tier needs.
        for (const c of spreads) {
            const key = onHostname(c.at, c.topologyKey);
            judged.push({ at: c.at, hostname: key.holds, j: judge([key, selectsOwn(c.at, c.selectsOwnPods)]) });
        }
    }
    const terms = antiAffinityTerms(w);
    for (const [which, list] of [["required", terms.required], ["preferred", terms.preferred]] as const) {
        if (isUnknown(list)) {
            unknownLists.push(`podAntiAffinity.${which}DuringSchedulingIgnoredDuringExecution`);
            continue;
        }
        for (const t of list) {
            const key = onHostname(t.at, t.topologyKey);
            judged.push({
                at: t.at,
                hostname: key.holds,
                j: judge([key, selectsOwn(t.at, t.selectsOwnPods), { holds: t.ownNamespace, fails: "it looks for the pods in other namespaces", field: `${t.at}.namespaces/namespaceSelector` }]),
            });
        }
    }
    return { judged, unknownLists };
}

/**
 * Issue 9: replicas of a tier on one node go down together with it, so running more than one
 * buys no availability. Every replicated Deployment and StatefulSet (TigerBeetle has its own,
 * stricter rule) spreads its pods over nodes: a topology spread on kubernetes.io/hostname, or
 * a pod anti-affinity on it, selecting its own pods.
 */
export const workloadsSpreadAcrossNodes: StackValidationPolicy = {
    name: "workloads-spread-across-nodes",
    description:
        "Every Deployment or StatefulSet other than TigerBeetle that runs (or autoscales to) more than one replica spreads its pods over nodes: a kubernetes.io/hostname topology spread or pod anti-affinity selecting its own pods.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptWorkloads: { type: "array", items: { type: "string" }, default: [], description: "Workload names (namespace/name or name) this policy does not check." },
        },
    },
    validateStack: (args, report) => {
        const { exemptWorkloads } = configOf<Config>(args, workloadsSpreadAcrossNodes.configSchema!);
        const item = CHECKLIST.disruptionBudgets;
        const hpas = ofType(args.resources, TYPES.hpa);
        const exempt = (w: Workload) => exemptWorkloads.includes(w.ref.name) || (!isUnknown(w.ref.namespace) && exemptWorkloads.includes(`${w.ref.namespace}/${w.ref.name}`));
        // A replica count (or HPA maximum) unknown during preview may exceed one: such a
        // workload is taken as replicated and must spread like the others (the safe side).
        const replicated = stackWorkloads(args.resources)
            .filter((w) => ["Deployment", "StatefulSet"].includes(kindOf(w.type)) && !isTigerBeetle(w) && !exempt(w))
            .map((w) => ({ w, max: maxReplicas(w, hpas) }))
            .filter((r) => typeof r.max !== "number" || r.max > 1);
        if (replicated.length === 0) {
            return args.notApplicable("no workload other than TigerBeetle runs more than one replica");
        }
        const fix = `add a topologySpreadConstraint on ${HOSTNAME_KEY} (maxSkew: 1, whenUnsatisfiable: ScheduleAnyway) whose labelSelector selects its pod labels, or a podAntiAffinity term on ${HOSTNAME_KEY} selecting them`;
        for (const { w, max } of replicated) {
            const { judged, unknownLists } = nodeSpreads(w);
            if (judged.some((x) => x.j.holds === true)) {
                continue;
            }
            const count = isUnknown(max) ? `a replica count ${UNKNOWN_TEXT}` : `up to ${String(max)} replicas`;
            const near = judged.filter((x) => x.hostname !== false);
            const unknown = [...new Set([...unknownLists, ...near.flatMap((x) => x.j.unknown)])];
            if (unknown.length > 0) {
                // A placement field unknown during preview is not known to spread the pods:
                // reported (placement is literal in the manifest), naming what is unknown.
                report(message(w.ref, `runs ${count} and is not known to spread them over nodes: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT}`, item, `${fix}, with values known before apply`), w.urn);
                continue;
            }
            const why = near.map((x) => `${x.at} on ${HOSTNAME_KEY}: ${x.j.failing.join(", ")}`);
            const detail = why.length > 0 ? why.join("; ") : `no topology spread or pod anti-affinity on ${HOSTNAME_KEY}`;
            report(message(w.ref, `runs ${count} but nothing spreads them over nodes, so the scheduler may stack them on one node and its loss takes the whole tier (${detail})`, item, fix), w.urn);
        }
    },
};
