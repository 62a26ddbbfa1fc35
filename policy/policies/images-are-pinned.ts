import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, imagePinProblem, message, validateWorkloads } from "../lib";

/** Every image is a version tag or an @sha256 digest, so a deploy is reproducible. */
export const imagesArePinned: ResourceValidationPolicy = {
    name: "images-are-pinned",
    description: "Every container image is pinned: an @sha256 digest or an explicit tag other than `latest`.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        for (const c of w.containers) {
            const problem = imagePinProblem(c.container.image);
            if (problem) {
                report(message(w.ref, `${containerLabel(c)} ${problem}`, SECURITY.imagePinning, `pin ${c.name}'s image to a version tag or @sha256 digest (prebuilt refs in the stack config; builds are pushed and pinned by digest)`));
            }
        }
    }),
};
