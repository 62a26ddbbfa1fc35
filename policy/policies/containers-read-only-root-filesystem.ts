import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, containerLabel, get, isUnknown, message, validateWorkloads } from "../lib";

/** Seed 001: "Read-only Filesystem"; writable paths are explicit volumes (/tmp, data). */
export const containersReadOnlyRootFilesystem: ResourceValidationPolicy = {
    name: "containers-read-only-root-filesystem",
    description: "Every container sets securityContext.readOnlyRootFilesystem: true; writable paths are volumes.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const value = bool(get(c.container, "securityContext", "readOnlyRootFilesystem"));
            // Unknown during preview: not known to be true, so not known-compliant; reported like
            // an unset flag (a hardening flag is a literal of the manifest, not an output).
            const problem = value === false ? "sets readOnlyRootFilesystem: false" : isUnknown(value) ? `readOnlyRootFilesystem is ${UNKNOWN_TEXT}` : "does not set readOnlyRootFilesystem";
            if (value !== true) {
                report(
                    message(w.ref, `${containerLabel(c)} ${problem}`, SECURITY.readOnlyRootFilesystem, `set securityContext.readOnlyRootFilesystem: true on ${c.name} and mount an emptyDir where it writes (e.g. /tmp)`),
                );
            }
        }
    }),
};
