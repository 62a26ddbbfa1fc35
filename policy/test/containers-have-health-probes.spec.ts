import { FIRST_CONTAINER, T, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-have-health-probes");
const businessLogic = named(T.deployment, "business-logic");

describe("containers-have-health-probes", () => {
    it("passes containers with liveness and readiness probes", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports the business logic without a liveness probe, by name", async () => {
        const r = mutate(compliantStack(), businessLogic, (p) => delete firstContainer(p).livenessProbe);
        expectViolations(await runPolicy(policy, r), [["Deployment my-agent/business-logic: container business-logic has no liveness probe", "[checklist item 4:", "Fix: add a livenessProbe"]]);
    });

    it("reports a missing readiness probe, and both", async () => {
        const noReady = mutate(compliantStack(), businessLogic, (p) => delete firstContainer(p).readinessProbe);
        expectViolations(await runPolicy(policy, noReady), [["container business-logic has no readiness probe"]]);
        const none = mutate(compliantStack(), named(T.statefulSet, "agent"), (p) => {
            delete p.spec.template.spec.containers[1].livenessProbe;
            delete p.spec.template.spec.containers[1].readinessProbe;
        });
        expectViolations(await runPolicy(policy, none), [["StatefulSet client-a/agent: container health-monitor has no liveness probe"], ["container health-monitor has no readiness probe"]]);
    });

    it("does not require probes of init containers or Jobs", async () => {
        const init = mutate(compliantStack(), businessLogic, (p) => (p.spec.template.spec.initContainers = [{ name: "migrate", image: "x:1" }]));
        expectViolations(await runPolicy(policy, init), []);
        const job = { type: T.job, name: "migrate", props: { metadata: { name: "migrate", namespace: "my-agent" }, spec: { template: { spec: { containers: [{ name: "migrate" }] } } } } };
        expectViolations(await runPolicy(policy, [job]), []);
    });

    it("skips containers exempted in config", async () => {
        const r = mutate(compliantStack(), businessLogic, (p) => delete firstContainer(p).livenessProbe);
        expectViolations(await runPolicy(policy, r, { "containers-have-health-probes": { exemptContainers: ["business-logic"] } }), []);
    });

    it("still reports a missing probe with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), businessLogic, (p) => delete firstContainer(p).livenessProbe);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container business-logic has no liveness probe"]]);
    });

    it("counts a probe unknown during preview as present, and reports a container that is unknown as a whole", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), businessLogic, ...FIRST_CONTAINER, "readinessProbe")), []);
        const whole = unknownAt(compliantStack(), businessLogic, "spec", "template", "spec", "containers");
        expectViolations(await runPolicy(policy, whole), [["Deployment my-agent/business-logic: container <unknown> is unknown during preview, so its probes are not known"]]);
    });
});
