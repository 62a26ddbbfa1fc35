import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, containerLabel, get, isUnknown, message, validateWorkloads } from "../lib";

/** Pod Security "restricted": allowPrivilegeEscalation must be false. */
export const containersDisallowPrivilegeEscalation: ResourceValidationPolicy = {
    name: "containers-disallow-privilege-escalation",
    description: "Every container sets securityContext.allowPrivilegeEscalation: false.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const value = bool(get(c.container, "securityContext", "allowPrivilegeEscalation"));
            // Unknown during preview (the flag, its securityContext or the container): not known
            // to be false, so not known-compliant. A hardening flag is a literal of the manifest,
            // never another resource's output, so an unknown one is reported, not waved through.
            const problem = value === true ? "sets allowPrivilegeEscalation: true" : isUnknown(value) ? `allowPrivilegeEscalation is ${UNKNOWN_TEXT}` : "does not set allowPrivilegeEscalation: false";
            if (value !== false) {
                report(message(w.ref, `${containerLabel(c)} ${problem}`, SECURITY.privilegeEscalation, `set securityContext.allowPrivilegeEscalation: false on ${c.name}`));
            }
        }
    }),
};
