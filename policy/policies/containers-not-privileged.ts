import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, message, plain, validateWorkloads } from "../lib";

/** No container runs privileged (full host access). */
export const containersNotPrivileged: ResourceValidationPolicy = {
    name: "containers-not-privileged",
    description: "No container sets securityContext.privileged: true.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            if (plain(c.container.securityContext?.privileged) === true) {
                report(message(w.ref, `${containerLabel(c)} runs privileged`, SECURITY.privileged, `set securityContext.privileged: false on ${c.name}`));
            }
        }
    }),
};
