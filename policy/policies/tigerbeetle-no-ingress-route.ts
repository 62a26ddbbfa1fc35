import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, ResourceRef, TYPES, UNKNOWN, UNKNOWN_TEXT, describe, get, isTigerBeetle, isUnknown, list, message, ofType, serviceSelects, shown, stackWorkloads, str } from "../lib";

const FIX = "remove the route: TigerBeetle is reached by the connector inside the cluster, never through an Ingress";

/** No Ingress route (rule or default backend) reaches a Service in front of TigerBeetle. */
export const tigerbeetleNoIngressRoute: StackValidationPolicy = {
    name: "tigerbeetle-no-ingress-route",
    description: "No Ingress rule or default backend routes to a Service that selects TigerBeetle pods (port 3000 is internal only).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const tigerbeetles = stackWorkloads(args.resources).filter(isTigerBeetle);
        if (tigerbeetles.length === 0) {
            return args.notApplicable("the stack has no TigerBeetle StatefulSet");
        }
        // Whether two namespaces may be the same: an unknown one may be any.
        const mayShare = (a: ResourceRef, b: ResourceRef) => isUnknown(a.namespace) || isUnknown(b.namespace) || a.namespace === b.namespace;
        // Services that serve (or, with an unknown selector or pod labels, may serve) TigerBeetle:
        // the safe side, since a route to one publishes the ledger's port.
        const fronting = ofType(args.resources, TYPES.service).filter((s) =>
            tigerbeetles.some((tb) => mayShare(s.ref, tb.ref) && serviceSelects(s.props, tb.podLabels) !== false),
        );
        for (const ing of ofType(args.resources, TYPES.ingress)) {
            const backends: { where: string; service: Maybe<string> | undefined }[] = [{ where: "defaultBackend", service: str(get(ing.props, "spec", "defaultBackend", "service", "name")) }];
            const rules = list(get(ing.props, "spec", "rules"));
            for (const rule of isUnknown(rules) ? [UNKNOWN] : rules) {
                const paths = list(get(rule, "http", "paths"));
                const host = shown(str(get(rule, "host")) ?? "*");
                for (const p of isUnknown(paths) ? [UNKNOWN] : paths) {
                    backends.push({ where: `rule ${isUnknown(rule) ? "<unknown>" : host}${shown(str(get(p, "path")) ?? "")}`, service: str(get(p, "backend", "service", "name")) });
                }
            }
            for (const b of backends) {
                if (b.service === undefined) {
                    continue;
                }
                // An unknown backend (the rules, a rule's paths, or the Service name) may be any
                // Service in the Ingress's namespace: reported when one there serves TigerBeetle.
                const svc = fronting.find((s) => mayShare(s.ref, ing.ref) && (isUnknown(b.service) || s.ref.name === b.service));
                if (svc) {
                    const what = isUnknown(b.service) ? `routes to a Service whose name is ${UNKNOWN_TEXT}, and ${describe(svc.ref)} serves TigerBeetle` : `routes to ${describe(svc.ref)}, which serves TigerBeetle`;
                    report(message(ing.ref, `${b.where} ${what}`, CHECKLIST.tigerbeetle, FIX), ing.urn);
                }
            }
        }
    },
};
