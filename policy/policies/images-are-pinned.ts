import { StackValidationPolicy } from "@pulumi/policy";
import { IMAGE_BUILD_TYPES, SECURITY, UNKNOWN_TEXT, configOf, containerLabel, get, imagePinProblem, isUnknown, message, propertySources, str, workloadOf } from "../lib";

interface Config {
    requireDigest: boolean;
}

const FIX = (name: string) => `pin ${name}'s image to a version tag or @sha256 digest (prebuilt refs in the stack config; builds are pushed and pinned by digest)`;
const DIGEST_FIX = (name: string) => `pin ${name}'s image by digest: <repo>:<tag>@sha256:<64 hex> in the stack config (\`docker buildx imagetools inspect <repo>:<tag>\` prints it), or let the stack build it`;

/**
 * Every image is a version tag or an @sha256 digest, so a deploy is reproducible. A stack
 * policy, because whether an image unknown during preview comes from the stack's own build
 * is only visible in the stack: which resources a workload's spec depends on.
 */
export const imagesArePinned: StackValidationPolicy = {
    name: "images-are-pinned",
    description: "Every container image is pinned: an @sha256 digest or an explicit tag other than `latest`; an image the stack builds is pinned by its pushed digest.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireDigest: {
                type: "boolean",
                default: false,
                description: "Accept only @sha256 digests: a tag can be moved to other content by whoever can push to the repository, a digest cannot.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, imagesArePinned.configSchema!);
        let workloads = 0;
        for (const r of args.resources) {
            const w = workloadOf(r.type, r.props, r.urn, r.name);
            if (!w) {
                continue;
            }
            workloads++;
            // The image builds the workload's pod spec depends on whose pushed digest is not known
            // yet: they explain an unknown image. In a preview the engine shows a build without
            // its repoDigest (the provider has not pushed anything), or with it unknown.
            const builds = propertySources(r, "spec").filter((d) => {
                const digest = get(d.props, "repoDigest");
                return IMAGE_BUILD_TYPES.includes(d.type) && (digest === undefined || isUnknown(digest));
            });
            for (const c of w.containers) {
                const image = str(get(c.container, "image"));
                if (isUnknown(image)) {
                    // Unknown during preview. When the pod spec depends on an image the stack builds
                    // and pushes in this run, the reference is that build's repoDigest
                    // (repo@sha256:…): pinned by construction. Any other unknown image (another
                    // resource's output, an unknown container) is not known to be pinned: reported.
                    if (builds.length === 0) {
                        report(message(w.ref, `${containerLabel(c)} image is ${UNKNOWN_TEXT} and not built by this stack, so it is not known to be pinned`, SECURITY.imagePinning, FIX(c.name)), w.urn);
                    }
                    continue;
                }
                const problem = imagePinProblem(image);
                if (problem) {
                    report(message(w.ref, `${containerLabel(c)} ${problem}`, SECURITY.imagePinning, FIX(c.name)), w.urn);
                } else if (cfg.requireDigest && !image!.includes("@sha256:")) {
                    report(message(w.ref, `${containerLabel(c)} image ${image} is pinned by tag only, and this stack requires digests`, SECURITY.imagePinning, DIGEST_FIX(c.name)), w.urn);
                }
            }
        }
        if (workloads === 0) {
            return args.notApplicable("the stack has no workloads");
        }
    },
};
