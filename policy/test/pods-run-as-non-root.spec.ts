import { FIRST_CONTAINER, T, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("pods-run-as-non-root");
const ar = named(T.deployment, "agent-runtime");

describe("pods-run-as-non-root", () => {
    it("passes runAsNonRoot with UID 1000 (and postgres' 70)", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        const pg = mutate(compliantStack(), ar, (p) => (p.spec.template.spec.securityContext.runAsUser = 70));
        expectViolations(await runPolicy(policy, pg), []);
    });

    it("reports a pod running as UID 0", async () => {
        const r = mutate(compliantStack(), ar, (p) => (p.spec.template.spec.securityContext.runAsUser = 0));
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-agent-runtime/agent-runtime: pod securityContext sets runAsUser 0 (root)", "[security item S1:"]]);
    });

    it("reports a container running as UID 0", async () => {
        const r = mutate(compliantStack(), ar, (p) => (firstContainer(p).securityContext.runAsUser = 0));
        expectViolations(await runPolicy(policy, r), [["container agent-runtime sets runAsUser 0 (root)"]]);
    });

    it("reports a container that turns runAsNonRoot off", async () => {
        const r = mutate(compliantStack(), ar, (p) => (firstContainer(p).securityContext.runAsNonRoot = false));
        expectViolations(await runPolicy(policy, r), [["container agent-runtime sets runAsNonRoot: false"]]);
    });

    it("reports runAsNonRoot unset on both pod and container", async () => {
        const r = mutate(compliantStack(), ar, (p) => {
            delete p.spec.template.spec.securityContext.runAsNonRoot;
            delete firstContainer(p).securityContext.runAsNonRoot;
        });
        expectViolations(await runPolicy(policy, r), [["container agent-runtime does not set runAsNonRoot"]]);
    });

    it("still reports UID 0 with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), ar, (p) => (firstContainer(p).securityContext.runAsUser = 0));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container agent-runtime sets runAsUser 0 (root)"]]);
    });

    it("reports runAsNonRoot unknown during preview, but lets an unknown runAsUser pass under runAsNonRoot: true", async () => {
        const r = unknownAt(compliantStack(), ar, ...FIRST_CONTAINER, "securityContext", "runAsNonRoot");
        expectViolations(await runPolicy(policy, r), [["container agent-runtime runAsNonRoot is unknown during preview"]]);
        const uid = unknownAt(compliantStack(), ar, "spec", "template", "spec", "securityContext", "runAsUser");
        expectViolations(await runPolicy(policy, uid), []);
    });
});
