import { T, compliantStack, expectViolations, firstContainer, mutate, named } from "./fixtures";
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
});
