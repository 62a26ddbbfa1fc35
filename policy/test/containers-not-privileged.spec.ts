import { FIRST_CONTAINER, T, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-not-privileged");

describe("containers-not-privileged", () => {
    it("passes privileged: false and unset", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        const unset = mutate(compliantStack(), named(T.deployment, "connector"), (p) => delete firstContainer(p).securityContext.privileged);
        expectViolations(await runPolicy(policy, unset), []);
    });

    it("reports a privileged container, TigerBeetle included", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), (p) => (firstContainer(p).securityContext.privileged = true));
        expectViolations(await runPolicy(policy, r), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle runs privileged", "[security item S5:"]]);
    });

    it("still reports it with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), (p) => (firstContainer(p).securityContext.privileged = true));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle runs privileged"]]);
    });

    it("reports privileged unknown during preview: it may turn out true", async () => {
        const r = unknownAt(compliantStack(), named(T.deployment, "connector"), ...FIRST_CONTAINER, "securityContext", "privileged");
        expectViolations(await runPolicy(policy, r), [["container connector securityContext.privileged is unknown during preview, so it may run privileged"]]);
    });
});
