import { T, compliantStack, expectViolations, mutate, named } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("service-accounts-no-token-automount");
const sa = named(T.serviceAccount, "m2m-connector");

describe("service-accounts-no-token-automount", () => {
    it("passes ServiceAccounts with automount off", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports automount unset or true", async () => {
        for (const edit of [(p: any) => delete p.automountServiceAccountToken, (p: any) => (p.automountServiceAccountToken = true)]) {
            const r = mutate(compliantStack(), sa, edit);
            expectViolations(await runPolicy(policy, r), [["ServiceAccount m2m-connector/m2m-connector: does not set automountServiceAccountToken: false", "[security item S7:"]]);
        }
    });
});
