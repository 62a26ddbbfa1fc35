import { FIRST_CONTAINER, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("pods-no-host-access");
const brain = named(T.statefulSet, "brain");

describe("pods-no-host-access", () => {
    it("passes pods that share nothing with the node", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports hostNetwork, hostPID and hostIPC", async () => {
        const r = mutate(compliantStack(), brain, (p) => Object.assign(p.spec.template.spec, { hostNetwork: true, hostPID: true, hostIPC: true }));
        expectViolations(await runPolicy(policy, r), [
            ["StatefulSet client-a/brain: pod sets hostNetwork: true", "[security item S6:"],
            ["pod sets hostPID: true"],
            ["pod sets hostIPC: true"],
        ]);
    });

    it("reports a hostPath volume", async () => {
        const r = mutate(compliantStack(), brain, (p) => p.spec.template.spec.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } }));
        expectViolations(await runPolicy(policy, r), [["volume docker mounts hostPath /var/run/docker.sock"]]);
    });

    it("reports a hostPort", async () => {
        const r = mutate(compliantStack(), brain, (p) => (firstContainer(p).ports[0].hostPort = 8080));
        expectViolations(await runPolicy(policy, r), [["container brain binds hostPort 8080"]]);
    });

    it("still reports host namespaces with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), brain, (p) => (p.spec.template.spec.hostPID = true));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["StatefulSet client-a/brain: pod sets hostPID: true"]]);
    });

    it("reports host settings unknown during preview: hostNetwork may be true, an unknown hostPath or hostPort is still one", async () => {
        const net = unknownAt(compliantStack(), brain, "spec", "template", "spec", "hostNetwork");
        expectViolations(await runPolicy(policy, net), [["pod hostNetwork is unknown during preview"]]);
        const path = mutate(compliantStack(), brain, (p) => p.spec.template.spec.volumes.push({ name: "host", hostPath: { path: UNKNOWN } }));
        expectViolations(await runPolicy(policy, path), [["volume host mounts hostPath <unknown>"]]);
        const port = unknownAt(compliantStack(), brain, ...FIRST_CONTAINER, "ports", 0, "hostPort");
        expectViolations(await runPolicy(policy, port), [["container brain binds hostPort <unknown>"]]);
    });
});
