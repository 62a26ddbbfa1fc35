import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, get, isClusterScoped, isKubernetesObject, isUnknown, kindOf, message, str } from "../lib";

/** Every tier lives in its own namespace; nothing lands in `default`. */
export const nothingInDefaultNamespace: ResourceValidationPolicy = {
    name: "nothing-in-default-namespace",
    description: "Every namespaced Kubernetes object sets metadata.namespace, and never to `default`.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isKubernetesObject(args.type) || isClusterScoped(args.type)) {
            return args.notApplicable("applies only to namespaced Kubernetes objects");
        }
        const ns = get(args.props, "metadata", "namespace");
        if (isUnknown(ns)) {
            // Unknown during preview: the namespace is set, from another resource's output (the
            // tiers pass their Namespace's metadata.name), so it is not the provider default; the
            // value itself is checked when `pulumi up` runs this policy again on the resolved
            // inputs, before the object is created.
            return args.notApplicable("metadata.namespace is unknown during preview; checked again by the update, before the object is created");
        }
        const name = str(get(args.props, "metadata", "name"));
        const ref = { kind: kindOf(args.type), namespace: "default", name: typeof name === "string" ? name : args.name };
        if (ns === "default") {
            report(message(ref, "is in the default namespace", SECURITY.defaultNamespace, "put it in its tier's namespace"));
        } else if (ns === undefined || ns === null || ns === "") {
            report(message(ref, "sets no metadata.namespace, so it lands in the provider's default namespace", SECURITY.defaultNamespace, "set metadata.namespace to its tier's namespace"));
        }
    },
};
