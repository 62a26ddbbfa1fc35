import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, Workload, configOf, hpasTargeting, intOrPercent, message, ofType, plain, selects, stackWorkloads } from "../lib";

interface Config {
    exemptWorkloads: string[];
}

/** The most replicas a workload can run: spec.replicas, or its HPA's maxReplicas when larger. */
function maxReplicas(w: Workload, hpas: ReturnType<typeof ofType>): number {
    const scaled = hpasTargeting(hpas, w).map((h) => Number(plain(h.props.spec?.maxReplicas) ?? 0));
    return Math.max(w.replicas ?? 0, ...scaled);
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
        const replicated = stackWorkloads(args.resources)
            .filter((w) => w.replicas !== undefined && !exemptWorkloads.includes(w.ref.name) && !exemptWorkloads.includes(`${w.ref.namespace}/${w.ref.name}`))
            .map((w) => ({ w, max: maxReplicas(w, hpas) }))
            .filter(({ max }) => max > 1);
        if (replicated.length === 0) {
            return args.notApplicable("no workload runs more than one replica");
        }
        const pdbs = ofType(args.resources, TYPES.pdb);
        for (const { w, max } of replicated) {
            const covering = pdbs.filter((p) => p.ref.namespace === w.ref.namespace && selects(p.props.spec?.selector, w.podLabels, false));
            if (covering.length === 0) {
                report(message(w.ref, `runs up to ${max} replicas but no PodDisruptionBudget selects its pods`, item, "add a policy/v1 PodDisruptionBudget selecting its pod labels (maxUnavailable: 1, or a quorum minAvailable for TigerBeetle)"), w.urn);
                continue;
            }
            const current = Math.max(w.replicas ?? 1, 1);
            for (const p of covering) {
                const minAvailable = intOrPercent(p.props.spec?.minAvailable, current);
                const maxUnavailable = intOrPercent(p.props.spec?.maxUnavailable, current);
                if ((maxUnavailable !== undefined && maxUnavailable < 1) || (minAvailable !== undefined && minAvailable >= current)) {
                    report(message(p.ref, `allows no voluntary disruption of ${w.ref.kind} ${w.ref.name} at ${current} replicas, so node drains block`, item, "allow at least one pod to be evicted (maxUnavailable: 1, or minAvailable below the replica count)"), p.urn);
                }
            }
        }
    },
};
