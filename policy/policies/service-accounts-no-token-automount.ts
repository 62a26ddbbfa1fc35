import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, message, plain, refOf } from "../lib";

/** A ServiceAccount does not hand its token to every pod that uses it. */
export const serviceAccountsNoTokenAutomount: ResourceValidationPolicy = {
    name: "service-accounts-no-token-automount",
    description: "Every ServiceAccount sets automountServiceAccountToken: false.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(k8s.core.v1.ServiceAccount, (props, args, report) => {
        if (plain(props.automountServiceAccountToken) !== false) {
            report(message(refOf(args.type, props, args.name), "does not set automountServiceAccountToken: false", SECURITY.serviceAccount, "set automountServiceAccountToken: false on the ServiceAccount"));
        }
    }),
};
