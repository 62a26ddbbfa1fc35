import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, isClusterScoped, isKubernetesObject, kindOf, message } from "../lib";

/** Every tier lives in its own namespace; nothing lands in `default`. */
export const nothingInDefaultNamespace: ResourceValidationPolicy = {
    name: "nothing-in-default-namespace",
    description: "Every namespaced Kubernetes object sets metadata.namespace, and never to `default`.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isKubernetesObject(args.type) || isClusterScoped(args.type)) {
            return args.notApplicable("applies only to namespaced Kubernetes objects");
        }
        const ns = args.props.metadata?.namespace;
        const ref = { kind: kindOf(args.type), namespace: "default", name: args.props.metadata?.name ?? args.name };
        if (ns === "default") {
            report(message(ref, "is in the default namespace", SECURITY.defaultNamespace, "put it in its tier's namespace"));
        } else if (ns === undefined || ns === null || ns === "") {
            report(message(ref, "sets no metadata.namespace, so it lands in the provider's default namespace", SECURITY.defaultNamespace, "set metadata.namespace to its tier's namespace"));
        }
    },
};
