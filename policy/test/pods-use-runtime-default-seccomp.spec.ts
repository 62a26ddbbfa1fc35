import { FIRST_CONTAINER, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("pods-use-runtime-default-seccomp");
const ar = named(T.deployment, "agent-runtime");
const tb = named(T.statefulSet, "tigerbeetle");

describe("pods-use-runtime-default-seccomp", () => {
    it("passes RuntimeDefault everywhere and TigerBeetle's documented Unconfined", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports Unconfined outside the exception", async () => {
        const r = mutate(compliantStack(), ar, (p) => (p.spec.template.spec.securityContext.seccompProfile.type = "Unconfined"));
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-agent-runtime/agent-runtime: pod uses seccomp profile Unconfined", "[security item S9:"]]);
    });

    it("reports a container overriding to Unconfined", async () => {
        const r = mutate(compliantStack(), ar, (p) => (firstContainer(p).securityContext.seccompProfile = { type: "Unconfined" }));
        expectViolations(await runPolicy(policy, r), [["container agent-runtime uses seccomp profile Unconfined"]]);
    });

    it("reports no profile at all", async () => {
        const r = mutate(compliantStack(), ar, (p) => delete p.spec.template.spec.securityContext.seccompProfile);
        expectViolations(await runPolicy(policy, r), [["container agent-runtime has no seccomp profile"]]);
    });

    it("holds TigerBeetle to its exception's profile", async () => {
        const r = mutate(compliantStack(), tb, (p) => (p.spec.template.spec.securityContext.seccompProfile = { type: "Localhost", localhostProfile: "x.json" }));
        expectViolations(await runPolicy(policy, r), [["StatefulSet tigerbeetle/tigerbeetle: pod uses seccomp profile Localhost (its exception allows Unconfined)"]]);
    });

    it("reports TigerBeetle's Unconfined when the config drops the exception", async () => {
        const v = await runPolicy(policy, compliantStack(), { "pods-use-runtime-default-seccomp": { exceptions: [] } });
        expectViolations(v, [["StatefulSet tigerbeetle/tigerbeetle: pod uses seccomp profile Unconfined"]]);
    });

    it("scopes an exception to its namespace when one is given", async () => {
        const config = { "pods-use-runtime-default-seccomp": { exceptions: [{ kind: "StatefulSet", name: "tigerbeetle", namespace: "ledger", profile: "Unconfined" }] } };
        expectViolations(await runPolicy(policy, compliantStack(), config), [["pod uses seccomp profile Unconfined"]]);
    });

    it("still reports Unconfined with the values a preview leaves unknown elsewhere, TigerBeetle's exception still holding", async () => {
        const r = mutate(compliantStack(), ar, (p) => (p.spec.template.spec.securityContext.seccompProfile.type = "Unconfined"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["Deployment m2m-agent-runtime/agent-runtime: pod uses seccomp profile Unconfined"]]);
    });

    it("reports a seccomp profile unknown during preview: it may be Unconfined", async () => {
        const pod = unknownAt(compliantStack(), ar, "spec", "template", "spec", "securityContext", "seccompProfile", "type");
        expectViolations(await runPolicy(policy, pod), [["Deployment m2m-agent-runtime/agent-runtime: pod seccomp profile is unknown during preview"]]);
        const container = mutate(compliantStack(), ar, (p) => (firstContainer(p).securityContext.seccompProfile = { type: UNKNOWN }));
        expectViolations(await runPolicy(policy, container), [["container agent-runtime seccomp profile is unknown during preview"]]);
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), ar, ...FIRST_CONTAINER)), [["container <unknown> seccomp profile is unknown during preview"]]);
    });
});
