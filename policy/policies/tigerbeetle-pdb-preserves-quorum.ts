import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, intOrPercent, isTigerBeetle, message, ofType, quorum, selects, stackWorkloads } from "../lib";

/** Seed 003: quorum needs a majority (2 of 3, 3 of 5); voluntary evictions never take the ledger below it. */
export const tigerbeetlePdbPreservesQuorum: StackValidationPolicy = {
    name: "tigerbeetle-pdb-preserves-quorum",
    description: "A multi-replica TigerBeetle StatefulSet is covered by a PodDisruptionBudget that keeps a quorum (floor(n/2)+1 replicas) available.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const clusters = stackWorkloads(args.resources).filter((w) => isTigerBeetle(w) && (w.replicas ?? 1) > 1);
        if (clusters.length === 0) {
            return args.notApplicable("no multi-replica TigerBeetle StatefulSet");
        }
        const item = CHECKLIST.disruptionBudgets;
        const pdbs = ofType(args.resources, TYPES.pdb);
        for (const tb of clusters) {
            const n = tb.replicas ?? 1;
            const q = quorum(n);
            const covering = pdbs.filter((p) => p.ref.namespace === tb.ref.namespace && selects(p.props.spec?.selector, tb.podLabels, false));
            if (covering.length === 0) {
                report(message(tb.ref, `runs ${n} replicas but no PodDisruptionBudget protects its quorum of ${q}`, item, `add a PodDisruptionBudget selecting the TigerBeetle pods with minAvailable: ${q}`), tb.urn);
                continue;
            }
            // Evictions honour every PDB that selects a pod: the strictest one decides.
            const guaranteed = Math.max(
                ...covering.map((p) => {
                    const minAvailable = intOrPercent(p.props.spec?.minAvailable, n);
                    const maxUnavailable = intOrPercent(p.props.spec?.maxUnavailable, n);
                    return Math.max(minAvailable ?? 0, maxUnavailable !== undefined ? n - maxUnavailable : 0);
                }),
            );
            if (guaranteed < q) {
                const desc = covering
                    .map((p) => `${p.ref.name} (${p.props.spec?.minAvailable !== undefined ? `minAvailable ${p.props.spec.minAvailable}` : `maxUnavailable ${p.props.spec?.maxUnavailable ?? "unset"}`})`)
                    .join(", ");
                report(message(tb.ref, `PodDisruptionBudget ${desc} lets evictions leave ${guaranteed} of ${n} replicas, below the quorum of ${q}`, item, `set minAvailable: ${q} (floor(n/2)+1) on the TigerBeetle PodDisruptionBudget`), tb.urn);
            }
        }
    },
};
