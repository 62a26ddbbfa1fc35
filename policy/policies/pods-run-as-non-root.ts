import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, message, plain, validateWorkloads } from "../lib";

const FIX = "set runAsNonRoot: true and a non-zero runAsUser in the pod securityContext (the platform runs as UID 1000; postgres as 70)";

/** Seed 001: "Container runs as non-root user (UID 1000)". */
export const podsRunAsNonRoot: ResourceValidationPolicy = {
    name: "pods-run-as-non-root",
    description: "Every container runs with runAsNonRoot: true (pod or container securityContext) and never as UID 0.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const pod = w.podSpec.securityContext ?? {};
        if (plain(pod.runAsUser) === 0) {
            report(message(w.ref, "pod securityContext sets runAsUser 0 (root)", SECURITY.nonRoot, FIX));
        }
        for (const c of w.containers) {
            const sc = c.container.securityContext ?? {};
            const nonRoot = plain(sc.runAsNonRoot) ?? plain(pod.runAsNonRoot);
            if (plain(sc.runAsUser) === 0) {
                report(message(w.ref, `${containerLabel(c)} sets runAsUser 0 (root)`, SECURITY.nonRoot, FIX));
            }
            if (nonRoot === false) {
                report(message(w.ref, `${containerLabel(c)} sets runAsNonRoot: false`, SECURITY.nonRoot, FIX));
            } else if (nonRoot !== true) {
                report(message(w.ref, `${containerLabel(c)} does not set runAsNonRoot, so an image that runs as root is admitted`, SECURITY.nonRoot, FIX));
            }
        }
    }),
};
