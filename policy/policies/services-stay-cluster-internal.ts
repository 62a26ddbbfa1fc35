import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, message, refOf } from "../lib";

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
        if (allowedExternalServices.includes(ref.name) || allowedExternalServices.includes(`${ref.namespace}/${ref.name}`)) {
            return args.notApplicable("listed in allowedExternalServices");
        }
        const item = CHECKLIST.ingress;
        const type = props.spec?.type ?? "ClusterIP";
        if (type !== "ClusterIP") {
            report(message(ref, `is type ${type}, reachable from outside the cluster without the Ingress`, item, "make it ClusterIP and publish public endpoints through the Ingress (or list it in allowedExternalServices)"));
        }
        if (((props.spec?.externalIPs ?? []) as any[]).length > 0) {
            report(message(ref, `lists externalIPs ${(props.spec?.externalIPs as string[]).join(", ")}`, item, "remove spec.externalIPs"));
        }
    }),
};
