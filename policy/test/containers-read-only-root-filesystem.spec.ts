import { FIRST_CONTAINER, T, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-read-only-root-filesystem");
const agentstate = named(T.statefulSet, "agentstate");

describe("containers-read-only-root-filesystem", () => {
    it("passes readOnlyRootFilesystem: true", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports readOnlyRootFilesystem: false", async () => {
        const r = mutate(compliantStack(), agentstate, (p) => (firstContainer(p).securityContext.readOnlyRootFilesystem = false));
        expectViolations(await runPolicy(policy, r), [["StatefulSet agentstate/agentstate: container agentstate sets readOnlyRootFilesystem: false", "[security item S3:"]]);
    });

    it("reports it unset, on init containers too", async () => {
        const r = mutate(compliantStack(), agentstate, (p) => (p.spec.template.spec.initContainers = [{ name: "restore", image: "x:1", securityContext: {} }]));
        expectViolations(await runPolicy(policy, r), [["init container restore does not set readOnlyRootFilesystem"]]);
    });

    it("still reports it with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), agentstate, (p) => (firstContainer(p).securityContext.readOnlyRootFilesystem = false));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container agentstate sets readOnlyRootFilesystem: false"]]);
    });

    it("reports readOnlyRootFilesystem unknown during preview: not known to be true", async () => {
        const r = unknownAt(compliantStack(), agentstate, ...FIRST_CONTAINER, "securityContext", "readOnlyRootFilesystem");
        expectViolations(await runPolicy(policy, r), [["container agentstate readOnlyRootFilesystem is unknown during preview"]]);
    });
});
