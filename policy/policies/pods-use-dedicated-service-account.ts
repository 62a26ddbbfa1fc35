import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, get, isUnknown, message, str, validateWorkloads } from "../lib";

/** Seed 001: "Dedicated service account with minimal permissions"; no API token in pods that do not call the API. */
export const podsUseDedicatedServiceAccount: ResourceValidationPolicy = {
    name: "pods-use-dedicated-service-account",
    description: "Every pod names a ServiceAccount other than `default` and sets automountServiceAccountToken: false.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const item = SECURITY.serviceAccount;
        const sa = str(get(w.podSpec, "serviceAccountName")) ?? str(get(w.podSpec, "serviceAccount"));
        // An unknown serviceAccountName is the name of a ServiceAccount the stack creates (the
        // program passes the ServiceAccount's metadata.name output): it is set, and a
        // ServiceAccount object is never named `default` by this stack, so it passes.
        if (sa === undefined || sa === "") {
            report(message(w.ref, "names no serviceAccountName, so it runs as the namespace's default ServiceAccount", item, "create a ServiceAccount for the tier and set serviceAccountName to it"));
        } else if (sa === "default") {
            report(message(w.ref, "runs as the namespace's default ServiceAccount", item, "create a ServiceAccount for the tier and set serviceAccountName to it"));
        }
        const automount = bool(get(w.podSpec, "automountServiceAccountToken"));
        if (automount !== false) {
            // Unknown: not known to be false, so not known-compliant; reported.
            const problem = isUnknown(automount) ? `automountServiceAccountToken is ${UNKNOWN_TEXT}, so its pods may get an API token` : "does not set automountServiceAccountToken: false, so its pods get an API token";
            report(message(w.ref, problem, item, "set automountServiceAccountToken: false in the pod spec"));
        }
    }),
};
