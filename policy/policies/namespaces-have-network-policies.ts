import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, configOf, describe, message, ofType, plain, selects, stackMessage, stackWorkloads } from "../lib";

interface Config {
    exemptNamespaces: string[];
}

/** A default-deny policy: every pod, both directions, and no rule that allows anything. */
function isDefaultDeny(np: Record<string, any>): boolean {
    const spec = np.spec ?? {};
    const sel = plain<Record<string, any> | undefined>(spec.podSelector) ?? {};
    const empty = Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
    return empty && (spec.ingress ?? []).length === 0 && (spec.egress ?? []).length === 0;
}

function types(np: Record<string, any>): string[] {
    const t = np.spec?.policyTypes as string[] | undefined;
    if (t && t.length > 0) {
        return t;
    }
    // The API defaults policyTypes to Ingress, plus Egress when egress rules exist.
    return ["Ingress", ...((np.spec?.egress ?? []).length > 0 ? ["Egress"] : [])];
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
        const workloads = stackWorkloads(args.resources).filter((w) => !exemptNamespaces.includes(w.ref.namespace ?? "default"));
        if (workloads.length === 0) {
            return args.notApplicable("the stack has no workloads");
        }
        const policies = ofType(args.resources, TYPES.networkPolicy);
        const namespaces = [...new Set(workloads.map((w) => w.ref.namespace ?? "default"))];
        for (const ns of namespaces) {
            const here = policies.filter((p) => p.ref.namespace === ns);
            const denies = here.filter((p) => isDefaultDeny(p.props));
            for (const direction of ["Ingress", "Egress"]) {
                if (!denies.some((p) => types(p.props).includes(direction))) {
                    const nsResource = ofType(args.resources, TYPES.namespace).find((n) => n.ref.name === ns);
                    const problem = `namespace ${ns} has workloads but no default-deny NetworkPolicy for ${direction}`;
                    const fix = `add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules (default-deny) in ${ns}`;
                    report(nsResource ? message(nsResource.ref, problem, item, fix) : stackMessage(problem, item, fix), nsResource?.urn);
                }
            }
        }
        for (const w of workloads) {
            const ns = w.ref.namespace ?? "default";
            const allows = policies.filter(
                (p) =>
                    p.ref.namespace === ns &&
                    !isDefaultDeny(p.props) &&
                    types(p.props).includes("Ingress") &&
                    selects(p.props.spec?.podSelector, w.podLabels, true),
            );
            if (allows.length === 0) {
                report(
                    message(w.ref, `its pods are selected by no Ingress allow-list NetworkPolicy in ${ns}, so default-deny leaves the allowed traffic undocumented (or, without default-deny, everything open)`, item, `add a NetworkPolicy selecting ${describe(w.ref)}'s pod labels that lists the namespaces and ports allowed to reach it`),
                    w.urn,
                );
            }
        }
    },
};
