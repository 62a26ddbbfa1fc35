import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, get, isUnknown, list, message, refOf, shown, str } from "../lib";

interface Config {
    allowedExternalServices: string[];
}

/** External access goes through the Ingress only: no NodePort, LoadBalancer or externalIPs Services unless listed. */
export const servicesStayClusterInternal: ResourceValidationPolicy = {
    name: "services-stay-cluster-internal",
    description: "Services are ClusterIP (or headless) without externalIPs; NodePort, LoadBalancer and ExternalName only for Services listed in allowedExternalServices.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedExternalServices: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Services (namespace/name or name) allowed to be NodePort, LoadBalancer or ExternalName.",
            },
        },
    },
    validateResource: validateResourceOfType(k8s.core.v1.Service, (props, args, report) => {
        const { allowedExternalServices } = configOf<Config>(args, servicesStayClusterInternal.configSchema!);
        const ref = refOf(args.type, props, args.name);
        // A `namespace/name` entry matches only a known namespace.
        if (allowedExternalServices.includes(ref.name) || (!isUnknown(ref.namespace) && allowedExternalServices.includes(`${ref.namespace}/${ref.name}`))) {
            return args.notApplicable("listed in allowedExternalServices");
        }
        const item = CHECKLIST.ingress;
        const type = str(get(props, "spec", "type")) ?? "ClusterIP";
        if (isUnknown(type)) {
            // An unknown type may be NodePort or LoadBalancer: not known to stay internal; reported.
            report(message(ref, `spec.type is ${UNKNOWN_TEXT}, so it may be reachable from outside the cluster`, item, "set spec.type to ClusterIP in the manifest (or list the Service in allowedExternalServices)"));
        } else if (type !== "ClusterIP") {
            report(message(ref, `is type ${type}, reachable from outside the cluster without the Ingress`, item, "make it ClusterIP and publish public endpoints through the Ingress (or list it in allowedExternalServices)"));
        }
        const externalIPs = list(get(props, "spec", "externalIPs"));
        // An unknown list may hold addresses, and an unknown entry is an address: both reported.
        if (isUnknown(externalIPs) || externalIPs.length > 0) {
            report(message(ref, `lists externalIPs ${isUnknown(externalIPs) ? `(${UNKNOWN_TEXT})` : externalIPs.map(shown).join(", ")}`, item, "remove spec.externalIPs"));
        }
    }),
};
