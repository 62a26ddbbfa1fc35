import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Condition, Judgement, ResourceRef, TYPES, UNKNOWN_TEXT, Workload, get, is, isUnknown, judge, message, namespaceOf, ofType, propertySources, serviceSelects, shown, str, workloadOf } from "../lib";

type Service = PolicyResource & { ref: ResourceRef };

/** How a Service measures up as the governing Service of `w`: headless, and selecting its pods. */
function governing(s: Service, w: Workload): Judgement {
    const clusterIP = str(get(s.props, "spec", "clusterIP"));
    const headless: Condition = {
        holds: is(clusterIP, "None"),
        fails: `is not headless (clusterIP ${clusterIP === undefined || clusterIP === "" ? "unset, so it gets a virtual IP" : shown(clusterIP)})`,
        field: `Service ${s.ref.name} spec.clusterIP`,
    };
    const selecting: Condition = { holds: serviceSelects(s.props, w.podLabels), fails: "does not select its pods", field: `Service ${s.ref.name} spec.selector` };
    return judge([headless, selecting]);
}

/**
 * A StatefulSet's pods get their stable network identity (`<pod>.<service>.<namespace>.svc`)
 * from the Service named in spec.serviceName: only a headless Service (clusterIP None) that
 * selects the pods publishes a DNS record per pod. Without one, replicas cannot address each
 * other or be addressed by name (TigerBeetle's peers, the connector's replica list, a
 * database's clients that pin a replica), and the StatefulSet names a Service that does
 * nothing for it. Issue 9 found the AgentState and PostgreSQL StatefulSets governed by
 * ClusterIP Services.
 */
export const statefulsetsHaveHeadlessGoverningService: StackValidationPolicy = {
    name: "statefulsets-have-headless-governing-service",
    description: "Every StatefulSet's spec.serviceName names a Service of the stack in its namespace with clusterIP None whose selector selects the StatefulSet's pods.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const item = CHECKLIST.statefulIdentity;
        const services = ofType(args.resources, TYPES.service);
        const fix = "point spec.serviceName at a Service in its namespace with clusterIP: None whose selector matches its pod labels";
        let statefulSets = 0;
        for (const r of args.resources) {
            const w = r.type === TYPES.statefulSet ? workloadOf(r.type, r.props, r.urn, r.name) : undefined;
            if (!w) {
                continue;
            }
            statefulSets++;
            const ns = namespaceOf(r.props);
            const name = str(get(r.props, "spec", "serviceName"));
            if (isUnknown(ns)) {
                // Which namespace to look in is not known, so neither is the Service: reported.
                report(message(w.ref, `metadata.namespace is ${UNKNOWN_TEXT}, so its governing Service is not known`, item, `${fix}, in a namespace known before apply`), w.urn);
                continue;
            }
            const here = services.filter((s) => namespaceOf(s.props) === ns);
            if (isUnknown(name)) {
                // Unknown during preview: the program passes the governing Service's
                // metadata.name output. The Services of its namespace the StatefulSet's spec
                // depends on (the engine's propertyDependencies) are what it can name: it passes
                // when there is one and every such Service is headless and selects its pods;
                // otherwise it is not known to be governed properly, and is reported.
                const sources = new Set(propertySources(r, "spec").map((d) => d.urn));
                const candidates = here.filter((s) => sources.has(s.urn));
                const judged = candidates.map((s) => governing(s, w));
                if (candidates.length > 0 && judged.every((j) => j.holds === true)) {
                    continue;
                }
                const which = candidates.length > 0 ? ` (of the Services its spec depends on, ${candidates.map((s) => s.ref.name).join(", ")}, not all are)` : "";
                report(message(w.ref, `spec.serviceName is ${UNKNOWN_TEXT} and not known to name a headless Service selecting its pods${which}`, item, `${fix}, by a name known before apply or that Service's metadata.name`), w.urn);
                continue;
            }
            if (name === undefined || name === "") {
                report(message(w.ref, "names no governing Service (spec.serviceName), so its pods get no stable DNS names", item, fix), w.urn);
                continue;
            }
            // A Service whose own name (or namespace) is unknown may be the one named: it is not
            // counted, and is named in the report.
            const named = here.filter((s) => str(get(s.props, "metadata", "name")) === name);
            if (named.length === 0) {
                const unsure = services.filter((s) => isUnknown(str(get(s.props, "metadata", "name"))) || isUnknown(namespaceOf(s.props)));
                const note = unsure.length > 0 ? ` (the name or namespace of ${unsure.map((s) => s.ref.name).join(", ")} is ${UNKNOWN_TEXT})` : "";
                report(message(w.ref, `spec.serviceName names Service ${name}, which the stack ${note ? "is not known to create" : "does not create"} in namespace ${ns}${note}, so its pods get no stable DNS names`, item, fix), w.urn);
                continue;
            }
            const j = governing(named[0], w);
            if (j.holds === true) {
                continue;
            }
            if (j.failing.length > 0) {
                report(message(w.ref, `governing Service ${name} ${j.failing.join(" and ")}, so it publishes no DNS record per pod and the replicas have no stable names`, item, fix), w.urn);
                continue;
            }
            // A clusterIP or selector unknown during preview is not known to govern: reported
            // (both are literal in the manifest).
            report(message(w.ref, `governing Service ${name} is not known to be headless and to select its pods: ${j.unknown.join(", ")} ${j.unknown.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT}`, item, `${fix}, with values known before apply`), w.urn);
        }
        if (statefulSets === 0) {
            return args.notApplicable("the stack has no StatefulSet");
        }
    },
};
