import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, message, plain, validateWorkloads } from "../lib";

/** Pod Security "restricted": allowPrivilegeEscalation must be false. */
export const containersDisallowPrivilegeEscalation: ResourceValidationPolicy = {
    name: "containers-disallow-privilege-escalation",
    description: "Every container sets securityContext.allowPrivilegeEscalation: false.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const value = plain(c.container.securityContext?.allowPrivilegeEscalation);
            if (value !== false) {
                report(
                    message(w.ref, `${containerLabel(c)} ${value === true ? "sets allowPrivilegeEscalation: true" : "does not set allowPrivilegeEscalation: false"}`, SECURITY.privilegeEscalation, `set securityContext.allowPrivilegeEscalation: false on ${c.name}`),
                );
            }
        }
    }),
};
