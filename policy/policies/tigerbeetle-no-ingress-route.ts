import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, describe, isTigerBeetle, message, namespaceOf, ofType, serviceSelects, stackWorkloads } from "../lib";

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
        const services = ofType(args.resources, TYPES.service);
        const fronting = (namespace: string, name: string) =>
            services.find(
                (s) =>
                    s.ref.namespace === namespace &&
                    s.ref.name === name &&
                    tigerbeetles.some((tb) => tb.ref.namespace === namespace && serviceSelects(s.props, tb.podLabels)),
            );
        for (const ing of ofType(args.resources, TYPES.ingress)) {
            const ns = namespaceOf(ing.props);
            const backends: { where: string; service?: string }[] = [
                { where: "defaultBackend", service: ing.props.spec?.defaultBackend?.service?.name },
                ...((ing.props.spec?.rules ?? []) as any[]).flatMap((rule) =>
                    ((rule?.http?.paths ?? []) as any[]).map((p) => ({
                        where: `rule ${rule?.host ?? "*"}${p?.path ?? ""}`,
                        service: p?.backend?.service?.name,
                    })),
                ),
            ];
            for (const b of backends) {
                const svc = b.service ? fronting(ns, b.service) : undefined;
                if (svc) {
                    report(
                        message(ing.ref, `${b.where} routes to ${describe(svc.ref)}, which serves TigerBeetle`, CHECKLIST.tigerbeetle, "remove the route: TigerBeetle is reached by the connector inside the cluster, never through an Ingress"),
                        ing.urn,
                    );
                }
            }
        }
    },
};
