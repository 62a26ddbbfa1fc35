import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN, UNKNOWN_TEXT, Workload, configOf, get, intOrPercent, isUnknown, maxReplicas, message, ofType, sameNamespace, selects, shown, stackWorkloads } from "../lib";

interface Config {
    exemptWorkloads: string[];
}

/** Seed 000/001: "Pod Disruption Budgets configured for HA" for every workload that runs more than one replica. */
export const workloadsHaveDisruptionBudgets: StackValidationPolicy = {
    name: "workloads-have-disruption-budgets",
    description: "Every Deployment or StatefulSet that runs (or autoscales to) more than one replica is covered by a PodDisruptionBudget that still lets a node drain.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptWorkloads: { type: "array", items: { type: "string" }, default: [], description: "Workload names (namespace/name or name) this policy does not check." },
        },
    },
    validateStack: (args, report) => {
        const { exemptWorkloads } = configOf<Config>(args, workloadsHaveDisruptionBudgets.configSchema!);
        const item = CHECKLIST.disruptionBudgets;
        const hpas = ofType(args.resources, TYPES.hpa);
        const exempt = (w: Workload) => exemptWorkloads.includes(w.ref.name) || (!isUnknown(w.ref.namespace) && exemptWorkloads.includes(`${w.ref.namespace}/${w.ref.name}`));
        // A replica count that is unknown during preview may exceed one: such a workload is
        // taken as replicated and needs a PodDisruptionBudget like the others (the safe side).
        const replicated = stackWorkloads(args.resources)
            .filter((w) => w.replicas !== undefined && !exempt(w))
            .map((w) => ({ w, max: maxReplicas(w, hpas) }))
            .filter((r) => typeof r.max !== "number" || r.max > 1);
        if (replicated.length === 0) {
            return args.notApplicable("no workload runs more than one replica");
        }
        const pdbs = ofType(args.resources, TYPES.pdb);
        for (const { w, max } of replicated) {
            const here = pdbs.filter((p) => sameNamespace(p.ref, w.ref));
            // Only a PDB known to select the pods covers them; one whose selector (or namespace)
            // is unknown is not counted, and is named in the report.
            const covering = here.filter((p) => selects(get(p.props, "spec", "selector"), w.podLabels, false) === true);
            if (covering.length === 0) {
                const unsure = pdbs.filter((p) => (isUnknown(p.ref.namespace) || sameNamespace(p.ref, w.ref)) && selects(get(p.props, "spec", "selector"), w.podLabels, false) !== false);
                const note = unsure.length > 0 ? ` (whether ${unsure.map((p) => p.ref.name).join(", ")} selects them is ${UNKNOWN_TEXT})` : "";
                const count = isUnknown(max) ? `a replica count ${UNKNOWN_TEXT}` : `up to ${String(max)} replicas`;
                report(message(w.ref, `runs ${count} but no PodDisruptionBudget ${note ? "is known to select" : "selects"} its pods${note}`, item, "add a policy/v1 PodDisruptionBudget selecting its pod labels (maxUnavailable: 1, or a quorum minAvailable for TigerBeetle)"), w.urn);
                continue;
            }
            const current = isUnknown(w.replicas) ? UNKNOWN : Math.max(w.replicas ?? 1, 1);
            for (const p of covering) {
                // A budget blocks drains when it allows no eviction. An unknown budget, or a
                // minAvailable against an unknown replica count, cannot be shown to block them:
                // not reported (the coverage this policy requires is there). maxUnavailable is
                // judged at one replica, its least, when the count is unknown: 0 or 0% blocks at any count.
                const minAvailable = isUnknown(current) ? undefined : intOrPercent(get(p.props, "spec", "minAvailable"), current);
                const maxUnavailable = intOrPercent(get(p.props, "spec", "maxUnavailable"), isUnknown(current) ? 1 : current);
                const blocks = (!isUnknown(maxUnavailable) && maxUnavailable !== undefined && maxUnavailable < 1) || (!isUnknown(current) && !isUnknown(minAvailable) && minAvailable !== undefined && minAvailable >= current);
                if (blocks) {
                    report(message(p.ref, `allows no voluntary disruption of ${w.ref.kind} ${w.ref.name} at ${shown(current)} replicas, so node drains block`, item, "allow at least one pod to be evicted (maxUnavailable: 1, or minAvailable below the replica count)"), p.urn);
                }
            }
        }
    },
};
