import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, message, plain, str, validateWorkloads } from "../lib";

/** Seed 001: "Dedicated service account with minimal permissions"; no API token in pods that do not call the API. */
export const podsUseDedicatedServiceAccount: ResourceValidationPolicy = {
    name: "pods-use-dedicated-service-account",
    description: "Every pod names a ServiceAccount other than `default` and sets automountServiceAccountToken: false.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const item = SECURITY.serviceAccount;
        const sa = str(w.podSpec.serviceAccountName) ?? str(w.podSpec.serviceAccount);
        if (sa === undefined || sa === "") {
            report(message(w.ref, "names no serviceAccountName, so it runs as the namespace's default ServiceAccount", item, "create a ServiceAccount for the tier and set serviceAccountName to it"));
        } else if (sa === "default") {
            report(message(w.ref, "runs as the namespace's default ServiceAccount", item, "create a ServiceAccount for the tier and set serviceAccountName to it"));
        }
        if (plain(w.podSpec.automountServiceAccountToken) !== false) {
            report(message(w.ref, "does not set automountServiceAccountToken: false, so its pods get an API token", item, "set automountServiceAccountToken: false in the pod spec"));
        }
    }),
};
