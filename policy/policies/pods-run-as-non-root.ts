import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, containerLabel, get, isUnknown, message, num, validateWorkloads } from "../lib";

const FIX = "set runAsNonRoot: true and a non-zero runAsUser in the pod securityContext (the platform runs as UID 1000; postgres as 70)";

/** Seed 001: "Container runs as non-root user (UID 1000)". */
export const podsRunAsNonRoot: ResourceValidationPolicy = {
    name: "pods-run-as-non-root",
    description: "Every container runs with runAsNonRoot: true (pod or container securityContext) and never as UID 0.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const pod = get(w.podSpec, "securityContext");
        const podUser = num(get(pod, "runAsUser"));
        // An unknown runAsUser is not reported by itself: runAsNonRoot: true (checked below)
        // makes the kubelet refuse UID 0 whatever it turns out to be.
        if (podUser === 0) {
            report(message(w.ref, "pod securityContext sets runAsUser 0 (root)", SECURITY.nonRoot, FIX));
        }
        for (const c of w.containers) {
            const sc = get(c.container, "securityContext");
            const own = bool(get(sc, "runAsNonRoot"));
            const nonRoot = own ?? bool(get(pod, "runAsNonRoot"));
            if (num(get(sc, "runAsUser")) === 0) {
                report(message(w.ref, `${containerLabel(c)} sets runAsUser 0 (root)`, SECURITY.nonRoot, FIX));
            }
            if (nonRoot === false) {
                report(message(w.ref, `${containerLabel(c)} sets runAsNonRoot: false`, SECURITY.nonRoot, FIX));
            } else if (isUnknown(nonRoot)) {
                // Unknown during preview (the container's or the pod's runAsNonRoot): not known
                // to be true, so not known-compliant; reported.
                report(message(w.ref, `${containerLabel(c)} runAsNonRoot is ${UNKNOWN_TEXT}, so an image that runs as root may be admitted`, SECURITY.nonRoot, FIX));
            } else if (nonRoot !== true) {
                report(message(w.ref, `${containerLabel(c)} does not set runAsNonRoot, so an image that runs as root is admitted`, SECURITY.nonRoot, FIX));
            }
        }
    }),
};
