import { T, compliantStack, expectViolations, firstContainer, mutate, named } from "./fixtures";
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
});
