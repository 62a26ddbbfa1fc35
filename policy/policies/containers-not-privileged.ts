import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, containerLabel, get, isUnknown, message, validateWorkloads } from "../lib";

/** No container runs privileged (full host access). */
export const containersNotPrivileged: ResourceValidationPolicy = {
    name: "containers-not-privileged",
    description: "No container sets securityContext.privileged: true.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const value = bool(get(c.container, "securityContext", "privileged"));
            if (value === true) {
                report(message(w.ref, `${containerLabel(c)} runs privileged`, SECURITY.privileged, `set securityContext.privileged: false on ${c.name}`));
            } else if (isUnknown(value)) {
                // Unknown during preview: it may turn out true, so it is not known-compliant; a
                // hardening flag is a literal of the manifest, so an unknown one is reported.
                report(message(w.ref, `${containerLabel(c)} securityContext.privileged is ${UNKNOWN_TEXT}, so it may run privileged`, SECURITY.privileged, `set securityContext.privileged: false on ${c.name}`));
            }
        }
    }),
};
