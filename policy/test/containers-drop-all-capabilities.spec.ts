import { FIRST_CONTAINER, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("containers-drop-all-capabilities");
const bl = named(T.deployment, "business-logic");

describe("containers-drop-all-capabilities", () => {
    it("passes drop: [ALL]", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a container that drops only some capabilities", async () => {
        const r = mutate(compliantStack(), bl, (p) => (firstContainer(p).securityContext.capabilities = { drop: ["NET_RAW"] }));
        expectViolations(await runPolicy(policy, r), [["Deployment my-agent/business-logic: container business-logic does not drop ALL capabilities", "[security item S4:"]]);
    });

    it("reports added capabilities", async () => {
        const r = mutate(compliantStack(), bl, (p) => (firstContainer(p).securityContext.capabilities.add = ["NET_ADMIN", "SYS_TIME"]));
        expectViolations(await runPolicy(policy, r), [["container business-logic adds capabilities NET_ADMIN, SYS_TIME"]]);
    });

    it("allows capabilities listed in config", async () => {
        const r = mutate(compliantStack(), bl, (p) => (firstContainer(p).securityContext.capabilities.add = ["NET_BIND_SERVICE"]));
        expectViolations(await runPolicy(policy, r, { "containers-drop-all-capabilities": { allowedCapabilities: ["NET_BIND_SERVICE"] } }), []);
    });

    it("still reports added capabilities with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), bl, (p) => (firstContainer(p).securityContext.capabilities.add = ["NET_ADMIN"]));
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["container business-logic adds capabilities NET_ADMIN"]]);
    });

    it("reports a drop list unknown during preview as not known to drop ALL, and an unknown added capability as added", async () => {
        const drop = unknownAt(compliantStack(), bl, ...FIRST_CONTAINER, "securityContext", "capabilities", "drop");
        expectViolations(await runPolicy(policy, drop), [["container business-logic capabilities.drop is unknown during preview, so it is not known to drop ALL"]]);
        const add = mutate(compliantStack(), bl, (p) => (firstContainer(p).securityContext.capabilities.add = ["NET_BIND_SERVICE", UNKNOWN]));
        const config = { "containers-drop-all-capabilities": { allowedCapabilities: ["NET_BIND_SERVICE"] } };
        expectViolations(await runPolicy(policy, add, config), [["container business-logic adds capabilities <unknown>"]]);
    });
});
