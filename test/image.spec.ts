import * as assert from "assert";
import { CapturedStack, captureStack, containerOf, find, ofKind, workloads } from "./harness";

describe("ContainerImage", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("passes prebuilt references through in dev without building anything", () => {
        assert.strictEqual(ofKind(dev, "Image").length, 0);
        assert.strictEqual(containerOf(find(dev, "Deployment", "connector"), "connector").image, "127.0.0.1:5000/m2m/connector:v1.0.0");
    });

    it("builds prod images from their contexts and pushes them to the registry with its credentials", () => {
        const connector = ofKind(prod, "Image").find((i) => i.props.imageName === "registry.example.com/m2m-connector:v1.0.0");
        assert.ok(connector, "connector image built");
        assert.deepStrictEqual(connector.props.build, { context: "../m2m", dockerfile: "../m2m/Dockerfile", args: {}, platform: "linux/amd64" });
        assert.strictEqual(connector.props.registry.server, "registry.example.com");
        assert.strictEqual(connector.props.registry.username, "m2m-ci");
        assert.strictEqual(connector.props.registry.password, "registry-password-for-tests");
        assert.ok(connector.secretPaths.some((p) => p === "registry" || p === "registry.password"), "the password is a secret");
    });

    it("names each Dockerfile inside its build context, as the provider resolves relative paths from the program directory", () => {
        const dockerfiles = Object.fromEntries(ofKind(prod, "Image").map((i) => [i.props.imageName, i.props.build.dockerfile]));
        assert.strictEqual(dockerfiles["registry.example.com/m2m-agent-runtime:v1.0.0"], "../m2m/packages/agent-runtime/Dockerfile");
        assert.strictEqual(dockerfiles["registry.example.com/my-business-logic:v1.0.0"], "../my-agent/Dockerfile");
    });

    it("runs every built image by digest", () => {
        for (const w of workloads(prod)) {
            for (const c of w.props.spec.template.spec.containers) {
                if (String(c.image).startsWith("registry.example.com/")) {
                    assert.match(c.image, /@sha256:[0-9a-f]{64}$/, `${w.props.metadata.name}/${c.name}`);
                }
            }
        }
        assert.match(containerOf(find(prod, "Deployment", "agent-runtime"), "agent-runtime").image, /^registry\.example\.com\/m2m-agent-runtime@sha256:/);
    });

    it("changing one image changes only the workload that runs it, no other object of its tier", async () => {
        const bumped = await captureStack("dev", { businessLogic: { image: "127.0.0.1:5000/m2m/business-logic:v1.0.1" } });
        const objects = (s: CapturedStack) => Object.fromEntries(s.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.props)]));
        const before = objects(dev);
        const after = objects(bumped);
        const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
        assert.deepStrictEqual(changed, ["kubernetes:apps/v1:Deployment::business-logic-deployment"]);
    });
});
