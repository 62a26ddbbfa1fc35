import { FIRST_CONTAINER, T, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-disallow-privilege-escalation");
const connector = named(T.deployment, "connector");

describe("containers-disallow-privilege-escalation", () => {
    it("passes allowPrivilegeEscalation: false", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports allowPrivilegeEscalation: true", async () => {
        const r = mutate(compliantStack(), connector, (p) => (firstContainer(p).securityContext.allowPrivilegeEscalation = true));
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-connector/connector: container connector sets allowPrivilegeEscalation: true", "[security item S2:"]]);
    });

    it("reports it unset", async () => {
        const r = mutate(compliantStack(), connector, (p) => delete firstContainer(p).securityContext);
        expectViolations(await runPolicy(policy, r), [["container connector does not set allowPrivilegeEscalation: false"]]);
    });

    it("still reports it with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), connector, (p) => (firstContainer(p).securityContext.allowPrivilegeEscalation = true));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["Deployment m2m-connector/connector: container connector sets allowPrivilegeEscalation: true"]]);
    });

    it("reports an allowPrivilegeEscalation unknown during preview: not known to be false", async () => {
        const r = unknownAt(compliantStack(), connector, ...FIRST_CONTAINER, "securityContext", "allowPrivilegeEscalation");
        expectViolations(await runPolicy(policy, r), [["container connector allowPrivilegeEscalation is unknown during preview"]]);
        const whole = unknownAt(compliantStack(), connector, ...FIRST_CONTAINER, "securityContext");
        expectViolations(await runPolicy(policy, whole), [["container connector allowPrivilegeEscalation is unknown during preview"]]);
    });
});
