import { T, compliantStack, expectViolations, mutate, named, unknownAt } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("service-accounts-no-token-automount");
const sa = named(T.serviceAccount, "m2m-connector");
/** The same ServiceAccount once its metadata.name is unknown. */
const sa_ = (r: { type: string; props: Record<string, any> }) => r.type === T.serviceAccount && r.props.metadata?.namespace === "m2m-connector";

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

    it("reports automount unknown during preview: not known to be false", async () => {
        const r = unknownAt(compliantStack(), sa, "automountServiceAccountToken");
        expectViolations(await runPolicy(policy, r), [["ServiceAccount m2m-connector/m2m-connector: automountServiceAccountToken is unknown during preview"]]);
    });

    it("still checks a ServiceAccount whose namespace or name is unknown during preview", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), sa, "metadata", "namespace")), []);
        const r = mutate(unknownAt(compliantStack(), sa, "metadata", "name"), sa_, (p) => (p.automountServiceAccountToken = true));
        expectViolations(await runPolicy(policy, r), [["ServiceAccount m2m-connector/", "does not set automountServiceAccountToken: false"]]);
    });
});
