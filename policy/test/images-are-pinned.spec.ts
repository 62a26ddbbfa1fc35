import { T, builtImage, compliantStack, expectViolations, firstContainer, mutate, named, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("images-are-pinned");
const withImage = (image: unknown) => mutate(compliantStack(), named(T.deployment, "agent-runtime"), (p) => (firstContainer(p).image = image));

describe("images-are-pinned", () => {
    it("passes version tags and digests, registry ports included", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        expectViolations(await runPolicy(policy, withImage("127.0.0.1:5000/m2m/agent-runtime:v1.0.0")), []);
    });

    it("reports `latest`", async () => {
        expectViolations(await runPolicy(policy, withImage("ghcr.io/x/agent-runtime:latest")), [["Deployment m2m-agent-runtime/agent-runtime: container agent-runtime image ghcr.io/x/agent-runtime:latest uses the mutable tag `latest`", "[security item S8:"]]);
    });

    it("reports a missing tag, even behind a registry port", async () => {
        expectViolations(await runPolicy(policy, withImage("127.0.0.1:5000/m2m/agent-runtime")), [["image 127.0.0.1:5000/m2m/agent-runtime has no tag"]]);
    });

    it("reports a malformed digest and a missing image", async () => {
        expectViolations(await runPolicy(policy, withImage("repo/app@sha256:abc")), [["has a malformed digest"]]);
        expectViolations(await runPolicy(policy, withImage(undefined)), [["container agent-runtime has no image"]]);
    });

    it("still reports `latest` with the values a preview leaves unknown elsewhere, builds included", async () => {
        const r = builtImage(withPreviewUnknowns(withImage("ghcr.io/x/agent-runtime:latest")), named(T.deployment, "connector"));
        expectViolations(await runPolicy(policy, r), [["container agent-runtime image ghcr.io/x/agent-runtime:latest uses the mutable tag `latest`"]]);
    });

    it("passes an image unknown during preview that the stack builds: the pushed repoDigest pins it", async () => {
        expectViolations(await runPolicy(policy, builtImage(compliantStack(), named(T.deployment, "agent-runtime"))), []);
        expectViolations(await runPolicy(policy, builtImage(compliantStack(), named(T.deployment, "agent-runtime"), { digest: "unknown" })), []);
    });

    it("reports an unknown image that is not from a build in this preview: not known to be pinned", async () => {
        const v = [["Deployment m2m-agent-runtime/agent-runtime: container agent-runtime image is unknown during preview and not built by this stack, so it is not known to be pinned", "[security item S8:"]];
        expectViolations(await runPolicy(policy, builtImage(compliantStack(), named(T.deployment, "agent-runtime"), { dependency: false })), v);
        // A build whose digest is already known does not explain an unknown image.
        expectViolations(await runPolicy(policy, builtImage(compliantStack(), named(T.deployment, "agent-runtime"), { digest: "known" })), v);
    });

    describe("with requireDigest (a policy setting)", () => {
        const requireDigest = { "images-are-pinned": { requireDigest: true } };
        const DIGEST = `@sha256:${"ab".repeat(32)}`;
        const onlyDigests = (resources: ReturnType<typeof compliantStack>) =>
            resources.map((r) => {
                const props = JSON.parse(JSON.stringify(r.props));
                for (const c of props.spec?.template?.spec?.containers ?? []) {
                    c.image = c.image.includes("@") ? c.image : `${c.image}${DIGEST}`;
                }
                return { ...r, props };
            });

        it("passes digests, tag@digest included, and images the stack builds", async () => {
            expectViolations(await runPolicy(policy, onlyDigests(compliantStack()), requireDigest), []);
            const built = builtImage(onlyDigests(compliantStack()), named(T.deployment, "connector"));
            expectViolations(await runPolicy(policy, built, requireDigest), []);
        });

        it("reports an image pinned by tag only", async () => {
            const tagged = mutate(onlyDigests(compliantStack()), named(T.statefulSet, "tigerbeetle"), (p) => (firstContainer(p).image = "ghcr.io/tigerbeetle/tigerbeetle:0.16.68"));
            expectViolations(await runPolicy(policy, tagged, requireDigest), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle image ghcr.io/tigerbeetle/tigerbeetle:0.16.68 is pinned by tag only, and this stack requires digests", "Fix: pin tigerbeetle's image by digest"]]);
        });

        it("is off by default: a version tag passes", async () => {
            expectViolations(await runPolicy(policy, compliantStack()), []);
        });
    });
});
