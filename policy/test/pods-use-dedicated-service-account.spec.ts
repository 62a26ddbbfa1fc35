import { T, compliantStack, expectViolations, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("pods-use-dedicated-service-account");
const connector = named(T.deployment, "connector");

describe("pods-use-dedicated-service-account", () => {
    it("passes a named ServiceAccount with automount off", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a pod without serviceAccountName", async () => {
        const r = mutate(compliantStack(), connector, (p) => delete p.spec.template.spec.serviceAccountName);
        expectViolations(await runPolicy(policy, r), [["Deployment m2m-connector/connector: names no serviceAccountName", "[security item S7:"]]);
    });

    it("reports the default ServiceAccount", async () => {
        const r = mutate(compliantStack(), connector, (p) => (p.spec.template.spec.serviceAccountName = "default"));
        expectViolations(await runPolicy(policy, r), [["runs as the namespace's default ServiceAccount"]]);
    });

    it("reports token automount left on", async () => {
        const r = mutate(compliantStack(), connector, (p) => delete p.spec.template.spec.automountServiceAccountToken);
        expectViolations(await runPolicy(policy, r), [["does not set automountServiceAccountToken: false, so its pods get an API token"]]);
    });

    it("still reports the default ServiceAccount with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), connector, (p) => (p.spec.template.spec.serviceAccountName = "default"));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["runs as the namespace's default ServiceAccount"]]);
    });

    it("passes a serviceAccountName unknown during preview (the stack's own ServiceAccount's name) but reports an unknown automount", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), connector, "spec", "template", "spec", "serviceAccountName")), []);
        const automount = unknownAt(compliantStack(), connector, "spec", "template", "spec", "automountServiceAccountToken");
        expectViolations(await runPolicy(policy, automount), [["automountServiceAccountToken is unknown during preview, so its pods may get an API token"]]);
    });
});
