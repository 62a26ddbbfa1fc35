import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, get, isUnknown, message, refOf } from "../lib";

/** A ServiceAccount does not hand its token to every pod that uses it. */
export const serviceAccountsNoTokenAutomount: ResourceValidationPolicy = {
    name: "service-accounts-no-token-automount",
    description: "Every ServiceAccount sets automountServiceAccountToken: false.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(k8s.core.v1.ServiceAccount, (props, args, report) => {
        const automount = bool(get(props, "automountServiceAccountToken"));
        if (automount !== false) {
            // Unknown during preview: not known to be false, so not known-compliant; reported.
            const problem = isUnknown(automount) ? `automountServiceAccountToken is ${UNKNOWN_TEXT}` : "does not set automountServiceAccountToken: false";
            report(message(refOf(args.type, props, args.name), problem, SECURITY.serviceAccount, "set automountServiceAccountToken: false on the ServiceAccount"));
        }
    }),
};
