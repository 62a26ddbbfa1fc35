import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, TYPES, UNKNOWN, UNKNOWN_TEXT, configOf, describe, get, isUnknown, list, message, ofType, stackMessage, stackWorkloads, str } from "../lib";

interface Config {
    requireAlertRules: boolean;
    exemptNamespaces: string[];
}

/**
 * Whether a PrometheusRule holds an alert rule: one with a known, non-empty `alert` and
 * `expr`. UNKNOWN when none is known but an unknown group list, rule list, name or
 * expression leaves it open; false when it holds only recording rules, or nothing.
 */
function hasAlertRule(props: unknown): Maybe<boolean> {
    const groups = list(get(props, "spec", "groups"));
    if (isUnknown(groups)) {
        return UNKNOWN;
    }
    let open = false;
    for (const g of groups) {
        const rules = list(get(g, "rules"));
        if (isUnknown(rules)) {
            open = true;
            continue;
        }
        for (const r of rules) {
            const alert = str(get(r, "alert"));
            const expr = str(get(r, "expr"));
            if (typeof alert === "string" && alert !== "" && typeof expr === "string" && expr !== "") {
                return true;
            }
            // A recording rule (`record`, no `alert`) is no alert; an unknown part might be one.
            open ||= isUnknown(alert) || (typeof alert === "string" && alert !== "" && isUnknown(expr));
        }
    }
    return open ? UNKNOWN : false;
}

/**
 * Issue 13: every namespace with workloads has alert rules. A namespace counts as covered
 * by a PrometheusRule in it that holds an alert rule: the program's tiers each create one
 * in their own namespace (`monitoring.alertRules`), which lives and goes with the tier and
 * holds under a Prometheus that scopes each PrometheusRule to its own namespace
 * (`enforcedNamespaceLabel`). A rule elsewhere that merely names the namespace in its
 * expressions does not count: whether it is evaluated for it depends on the Prometheus.
 */
export const namespacesHaveAlertRules: StackValidationPolicy = {
    name: "namespaces-have-alert-rules",
    description: "Every namespace with workloads holds a PrometheusRule (Prometheus Operator) with at least one alert rule.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireAlertRules: { type: "boolean", default: true, description: "Require alert rules (dev.json sets false: the dev cluster has no Prometheus Operator)." },
            exemptNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Namespaces this policy does not check." },
        },
    },
    validateStack: (args, report) => {
        const { requireAlertRules, exemptNamespaces } = configOf<Config>(args, namespacesHaveAlertRules.configSchema!);
        if (!requireAlertRules) {
            return args.notApplicable("alert rules are not required here (requireAlertRules: false)");
        }
        const item = CHECKLIST.alerting;
        // Decisions for values unknown during preview: a PrometheusRule counts only when its
        // namespace is known and it is known to hold an alert rule (hasAlertRule), since an
        // uncounted rule errs towards reporting a gap, never towards hiding one; those left
        // uncounted are named in the report. A workload whose namespace is unknown is not
        // known to be covered: reported.
        const workloads = stackWorkloads(args.resources).filter((w) => isUnknown(w.ref.namespace) || !exemptNamespaces.includes(w.ref.namespace ?? "default"));
        if (workloads.length === 0) {
            return args.notApplicable("the stack has no workloads");
        }
        const rules = ofType(args.resources, TYPES.prometheusRule);
        const counted = rules.filter((r) => !isUnknown(r.ref.namespace) && hasAlertRule(r.props) === true);
        const uncounted = rules.filter((r) => isUnknown(r.ref.namespace) || isUnknown(hasAlertRule(r.props)));
        const note = (ns: string) => {
            const open = uncounted.filter((r) => isUnknown(r.ref.namespace) || r.ref.namespace === ns);
            return open.length > 0 ? ` (${open.map((r) => describe(r.ref)).join(", ")} ${open.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT} in part and not counted)` : "";
        };
        const namespaces = [...new Set(workloads.map((w) => w.ref.namespace ?? "default").filter((ns): ns is string => !isUnknown(ns)))];
        for (const ns of namespaces) {
            if (counted.some((r) => r.ref.namespace === ns)) {
                continue;
            }
            const here = workloads.filter((w) => w.ref.namespace === ns).map((w) => describe(w.ref));
            const nsResource = ofType(args.resources, TYPES.namespace).find((n) => n.ref.name === ns);
            const problem = `namespace ${ns} has workloads (${here.join(", ")}) but no PrometheusRule with an alert rule${note(ns)}`;
            const fix = `add a PrometheusRule with at least one alert rule in ${ns} (the platform's tiers create theirs with monitoring.alertRules: true)`;
            report(nsResource ? message(nsResource.ref, problem, item, fix) : stackMessage(problem, item, fix), nsResource?.urn);
        }
        for (const w of workloads.filter((x) => isUnknown(x.ref.namespace))) {
            report(message(w.ref, `its namespace is ${UNKNOWN_TEXT}, so it is not known to have alert rules`, item, "give the workload a namespace known before apply"), w.urn);
        }
    },
};
