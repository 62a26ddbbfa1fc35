import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, TYPES, UNKNOWN, UNKNOWN_TEXT, configOf, describe, get, isUnknown, keys, list, message, ofType, selects, stackMessage, stackWorkloads, str } from "../lib";

interface Config {
    exemptNamespaces: string[];
}

/** A default-deny policy: every pod, both directions, and no rule that allows anything. UNKNOWN when an unknown field leaves it open. */
function isDefaultDeny(np: unknown): Maybe<boolean> {
    const sel = get(np, "spec", "podSelector");
    const labels = keys(get(sel, "matchLabels"));
    const expressions = list(get(sel, "matchExpressions"));
    const ingress = list(get(np, "spec", "ingress"));
    const egress = list(get(np, "spec", "egress"));
    if (isUnknown(sel) || isUnknown(labels) || isUnknown(expressions) || isUnknown(ingress) || isUnknown(egress)) {
        return UNKNOWN;
    }
    return labels.length === 0 && expressions.length === 0 && ingress.length === 0 && egress.length === 0;
}

/** The directions a policy applies to; UNKNOWN when policyTypes (or what defaults it) is unknown. */
function types(np: unknown): Maybe<string[]> {
    const t = list(get(np, "spec", "policyTypes"));
    if (isUnknown(t)) {
        return UNKNOWN;
    }
    if (t.length > 0) {
        const named = t.map((x) => str(x));
        return named.some(isUnknown) ? UNKNOWN : named.filter((x): x is string => typeof x === "string");
    }
    // The API defaults policyTypes to Ingress, plus Egress when egress rules exist.
    const egress = list(get(np, "spec", "egress"));
    return isUnknown(egress) ? UNKNOWN : ["Ingress", ...(egress.length > 0 ? ["Egress"] : [])];
}

/** Known to apply to `direction`. */
function covers(np: unknown, direction: string): boolean {
    const t = types(np);
    return !isUnknown(t) && t.includes(direction);
}

/**
 * Seed 000: "Network policies restrict traffic between components". Every namespace with
 * workloads has a default-deny NetworkPolicy for Ingress and Egress, and every workload's
 * pods are selected by an allow-list policy that names who may reach them.
 */
export const namespacesHaveNetworkPolicies: StackValidationPolicy = {
    name: "namespaces-have-network-policies",
    description: "Every namespace with workloads has a default-deny NetworkPolicy (Ingress and Egress) and an Ingress allow-list NetworkPolicy selecting each workload's pods.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Namespaces this policy does not check." },
        },
    },
    validateStack: (args, report) => {
        const { exemptNamespaces } = configOf<Config>(args, namespacesHaveNetworkPolicies.configSchema!);
        const item = CHECKLIST.networkPolicies;
        // Decisions for values unknown during preview: a NetworkPolicy counts only for what is
        // known of it (a default-deny only when known to select every pod with no rules, an
        // allow-list only when known not to be default-deny and known to select the pods), since
        // an uncounted policy errs towards reporting a gap, never towards hiding one. A workload
        // whose namespace is unknown is not known to be covered by either: reported.
        const workloads = stackWorkloads(args.resources).filter((w) => isUnknown(w.ref.namespace) || !exemptNamespaces.includes(w.ref.namespace ?? "default"));
        if (workloads.length === 0) {
            return args.notApplicable("the stack has no workloads");
        }
        const policies = ofType(args.resources, TYPES.networkPolicy);
        const uncertain = (ps: typeof policies) => {
            const names = ps.filter((p) => isUnknown(isDefaultDeny(p.props)) || isUnknown(types(p.props))).map((p) => p.ref.name);
            return names.length > 0 ? ` (NetworkPolicy ${names.join(", ")} is ${UNKNOWN_TEXT} in part and not counted)` : "";
        };
        const namespaces = [...new Set(workloads.map((w) => w.ref.namespace ?? "default").filter((ns): ns is string => !isUnknown(ns)))];
        for (const ns of namespaces) {
            const here = policies.filter((p) => p.ref.namespace === ns);
            const denies = here.filter((p) => isDefaultDeny(p.props) === true);
            for (const direction of ["Ingress", "Egress"]) {
                if (!denies.some((p) => covers(p.props, direction))) {
                    const nsResource = ofType(args.resources, TYPES.namespace).find((n) => n.ref.name === ns);
                    const problem = `namespace ${ns} has workloads but no default-deny NetworkPolicy for ${direction}${uncertain(here)}`;
                    const fix = `add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules (default-deny) in ${ns}`;
                    report(nsResource ? message(nsResource.ref, problem, item, fix) : stackMessage(problem, item, fix), nsResource?.urn);
                }
            }
        }
        for (const w of workloads) {
            const fix = `add a NetworkPolicy selecting ${describe(w.ref)}'s pod labels that lists the namespaces and ports allowed to reach it`;
            if (isUnknown(w.ref.namespace)) {
                report(message(w.ref, `its namespace is ${UNKNOWN_TEXT}, so its pods are not known to be covered by a default-deny and an Ingress allow-list NetworkPolicy`, item, fix), w.urn);
                continue;
            }
            const ns = w.ref.namespace ?? "default";
            const here = policies.filter((p) => p.ref.namespace === ns);
            const allows = here.filter((p) => isDefaultDeny(p.props) === false && covers(p.props, "Ingress") && selects(get(p.props, "spec", "podSelector"), w.podLabels, true) === true);
            if (allows.length === 0) {
                const unsure = here.filter((p) => isDefaultDeny(p.props) !== true && covers(p.props, "Ingress") && isUnknown(selects(get(p.props, "spec", "podSelector"), w.podLabels, true)));
                const note = uncertain(here) || (unsure.length > 0 ? ` (whether ${unsure.map((p) => p.ref.name).join(", ")} selects them is ${UNKNOWN_TEXT})` : "");
                report(
                    message(w.ref, `its pods are selected by no Ingress allow-list NetworkPolicy in ${ns}, so default-deny leaves the allowed traffic undocumented (or, without default-deny, everything open)${note}`, item, fix),
                    w.urn,
                );
            }
        }
    },
};
