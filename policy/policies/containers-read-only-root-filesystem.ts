import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, message, plain, validateWorkloads } from "../lib";

/** Seed 001: "Read-only Filesystem"; writable paths are explicit volumes (/tmp, data). */
export const containersReadOnlyRootFilesystem: ResourceValidationPolicy = {
    name: "containers-read-only-root-filesystem",
    description: "Every container sets securityContext.readOnlyRootFilesystem: true; writable paths are volumes.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const value = plain(c.container.securityContext?.readOnlyRootFilesystem);
            if (value !== true) {
                report(
                    message(w.ref, `${containerLabel(c)} ${value === false ? "sets readOnlyRootFilesystem: false" : "does not set readOnlyRootFilesystem"}`, SECURITY.readOnlyRootFilesystem, `set securityContext.readOnlyRootFilesystem: true on ${c.name} and mount an emptyDir where it writes (e.g. /tmp)`),
                );
            }
        }
    }),
};
