import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN_TEXT, get, intOrPercent, isTigerBeetle, isUnknown, message, ofType, quorum, sameNamespace, selects, shown, stackWorkloads } from "../lib";

/** Seed 003: quorum needs a majority (2 of 3, 3 of 5); voluntary evictions never take the ledger below it. */
export const tigerbeetlePdbPreservesQuorum: StackValidationPolicy = {
    name: "tigerbeetle-pdb-preserves-quorum",
    description: "A multi-replica TigerBeetle StatefulSet is covered by a PodDisruptionBudget that keeps a quorum (floor(n/2)+1 replicas) available.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        // An unknown replica count is kept: it may be more than one (it is 3 in prod), and a
        // quorum rule must not pass it silently.
        const clusters = stackWorkloads(args.resources).filter((w) => isTigerBeetle(w) && (isUnknown(w.replicas) || (w.replicas ?? 1) > 1));
        if (clusters.length === 0) {
            return args.notApplicable("no multi-replica TigerBeetle StatefulSet");
        }
        const item = CHECKLIST.disruptionBudgets;
        const pdbs = ofType(args.resources, TYPES.pdb);
        for (const tb of clusters) {
            const n = tb.replicas ?? 1;
            if (isUnknown(n)) {
                // Without the count the quorum a PodDisruptionBudget must keep is not known: reported.
                report(message(tb.ref, `spec.replicas is ${UNKNOWN_TEXT}, so the quorum its PodDisruptionBudget must keep available is not known`, item, "set tigerbeetle.replicas (a literal odd count) and a PodDisruptionBudget with minAvailable floor(n/2)+1"), tb.urn);
                continue;
            }
            const q = quorum(n);
            // Only a PDB known to select the TigerBeetle pods protects them; one whose selector (or
            // namespace) is unknown is not counted (the safe side) and is named in the report.
            const covering = pdbs.filter((p) => sameNamespace(p.ref, tb.ref) && selects(get(p.props, "spec", "selector"), tb.podLabels, false) === true);
            if (covering.length === 0) {
                const unsure = pdbs.filter((p) => (isUnknown(p.ref.namespace) || sameNamespace(p.ref, tb.ref)) && selects(get(p.props, "spec", "selector"), tb.podLabels, false) !== false);
                const note = unsure.length > 0 ? ` (whether ${unsure.map((p) => p.ref.name).join(", ")} selects them is ${UNKNOWN_TEXT})` : "";
                report(message(tb.ref, `runs ${n} replicas but no PodDisruptionBudget protects its quorum of ${q}${note}`, item, `add a PodDisruptionBudget selecting the TigerBeetle pods with minAvailable: ${q}`), tb.urn);
                continue;
            }
            // Evictions honour every PDB that selects a pod: the strictest one decides. A budget
            // that is unknown during preview guarantees nothing known: it counts as 0, and when no
            // known budget keeps the quorum it is reported as not known to keep it.
            let unknownBudget = false;
            const guaranteed = Math.max(
                ...covering.map((p) => {
                    const minAvailable = intOrPercent(get(p.props, "spec", "minAvailable"), n);
                    const maxUnavailable = intOrPercent(get(p.props, "spec", "maxUnavailable"), n);
                    if (isUnknown(minAvailable) || isUnknown(maxUnavailable)) {
                        unknownBudget = true;
                        return 0;
                    }
                    return Math.max(minAvailable ?? 0, maxUnavailable !== undefined ? n - maxUnavailable : 0);
                }),
            );
            if (guaranteed < q) {
                const desc = covering
                    .map((p) => {
                        const minAvailable = get(p.props, "spec", "minAvailable");
                        return `${p.ref.name} (${minAvailable !== undefined ? `minAvailable ${shown(minAvailable)}` : `maxUnavailable ${shown(get(p.props, "spec", "maxUnavailable") ?? "unset")}`})`;
                    })
                    .join(", ");
                const problem = unknownBudget
                    ? `PodDisruptionBudget ${desc} is ${UNKNOWN_TEXT}, so it is not known to keep the quorum of ${q} of ${n} replicas`
                    : `PodDisruptionBudget ${desc} lets evictions leave ${guaranteed} of ${n} replicas, below the quorum of ${q}`;
                report(message(tb.ref, problem, item, `set minAvailable: ${q} (floor(n/2)+1) on the TigerBeetle PodDisruptionBudget`), tb.urn);
            }
        }
    },
};
