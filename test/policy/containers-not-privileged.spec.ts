import { T, compliantStack, expectViolations, firstContainer, mutate, named } from "./fixtures";
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
});
