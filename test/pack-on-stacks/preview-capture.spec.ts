// The preview capture the policy specs run on: what the engine leaves unknown during
// `pulumi preview` (random results, pushed image digests, and everything derived from them
// through apply) is unknown in the captured props, carrying the engine's sentinel at exactly
// those paths, and each resource records the resources its inputs depend on.
import * as assert from "assert";
import { CapturedResource, CapturedStack, UNKNOWN, capturePreview, captureStack, find, ofKind } from "../harness";

/** The dotted paths (as the harness writes them) under which `value` holds the sentinel. */
function sentinelPaths(value: unknown, at = ""): string[] {
    if (value === UNKNOWN) {
        return [at];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => sentinelPaths(v, `${at}[${i}]`));
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => sentinelPaths(v, at ? `${at}.${k}` : k));
    }
    return [];
}

const unknownIn = (r: CapturedResource) => [...r.unknownPaths].sort();

describe("preview capture", function () {
    this.timeout(60000);
    let prod: CapturedStack;
    let dev: CapturedStack;

    before(async () => {
        prod = await capturePreview("prod");
        dev = await capturePreview("dev");
    });

    it("hands the program the providers' computed outputs as unknown, and leaves them out of the engine's view", () => {
        // As a real preview shows them to stack policies: random results and pushed digests are
        // absent from the resources' outputs; the program saw them unknown (its export is).
        assert.strictEqual(prod.outputs.tigerBeetleClusterId, UNKNOWN);
        const id = ofKind(prod, "RandomId").find((r) => r.name.endsWith("cluster-id"))!;
        assert.strictEqual(id.props.dec, undefined);
        assert.strictEqual(id.props.hex, undefined);
        assert.strictEqual(id.props.byteLength, 16, "inputs stay known");
        for (const b of ofKind(prod, "RandomBytes")) {
            assert.strictEqual(b.props.base64, undefined, b.name);
        }
        assert.strictEqual(ofKind(prod, "RandomPassword")[0].props.result, undefined);
        const images = ofKind(prod, "Image");
        assert.ok(images.length >= 4, "prod builds its images");
        for (const image of images) {
            assert.strictEqual(image.props.repoDigest, undefined, image.name);
            assert.match(image.props.imageName, /^registry\.example\.com\//, "the pushed name is an input, known");
        }
    });

    it("carries the sentinel through apply into what derives from them: cluster ID, connector config and checksum, images, Secret data", () => {
        assert.strictEqual(find(prod, "ConfigMap", "tigerbeetle-cluster").props.data.clusterId, UNKNOWN);
        assert.strictEqual(find(prod, "ConfigMap", "connector-config").props.data.TIGERBEETLE_CLUSTER_ID, UNKNOWN);
        assert.strictEqual(find(prod, "ConfigMap", "connector-app-config").props.data["config.yaml"], UNKNOWN);
        const connector = find(prod, "Deployment", "connector");
        assert.strictEqual(connector.props.spec.template.metadata.annotations["checksum/config"], UNKNOWN);
        assert.strictEqual(connector.props.spec.template.spec.containers[0].image, UNKNOWN);
        const tb = find(prod, "StatefulSet", "tigerbeetle");
        assert.strictEqual(tb.props.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "CLUSTER_ID").value, UNKNOWN);
        assert.strictEqual(find(prod, "Secret", "agentstate-cap-keys").props.stringData, UNKNOWN);
        assert.strictEqual(find(prod, "Secret", "postgres-credentials").props.stringData, UNKNOWN);
    });

    it("keeps known what derives from known values only", () => {
        const tb = find(prod, "StatefulSet", "tigerbeetle");
        assert.strictEqual(tb.props.spec.replicas, 3);
        assert.strictEqual(tb.props.spec.template.spec.containers[0].image, "ghcr.io/tigerbeetle/tigerbeetle:0.16.68");
        assert.strictEqual(find(prod, "StatefulSet", "agentstate").props.spec.template.spec.containers[0].image, "ghcr.io/agentstate/agentstate-server:v0.1.0-rc.1");
        assert.match(find(prod, "Deployment", "agent-runtime").props.spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
        assert.strictEqual(find(prod, "ConfigMap", "connector-config").props.data.NODE_ID, "agent-connector");
        assert.strictEqual(find(prod, "Deployment", "connector").props.metadata.namespace, "m2m-connector");
    });

    it("records every unknown at its path, and the sentinel appears nowhere else", () => {
        for (const stack of [prod, dev]) {
            for (const r of stack.resources) {
                assert.deepStrictEqual(unknownIn(r), sentinelPaths(r.props).sort(), `${r.type} ${r.name}`);
            }
        }
    });

    it("dev: prebuilt images and the literal cluster ID stay known; only generated Secret data, the replica Services' ClusterIPs and what derives from them are unknown", () => {
        const unknown = dev.resources.filter((r) => r.unknownPaths.length > 0);
        assert.deepStrictEqual(unknown.map((r) => `${r.props.metadata.name} ${unknownIn(r).join(" ")}`).sort(), [
            "agentstate spec.template.metadata.annotations.checksum/secrets",
            "agentstate-cap-keys stringData",
            "business-logic spec.template.metadata.annotations.checksum/secrets",
            "connector spec.template.metadata.annotations.checksum/config spec.template.metadata.annotations.checksum/secrets",
            "connector-app-config data.config.yaml",
            "connector-config data.TIGERBEETLE_REPLICAS",
            "connector-secrets stringData",
            "postgres-credentials stringData",
            "tigerbeetle spec.template.spec.containers[0].env[3].value",
        ]);
    });

    it("records the dependencies the engine hands stack policies", () => {
        const image = ofKind(prod, "Image").find((r) => r.name.startsWith("connector"))!;
        const connector = find(prod, "Deployment", "connector");
        assert.ok(connector.propertyDependencies.spec.includes(image.urn), JSON.stringify(connector.propertyDependencies));
        assert.ok(connector.dependencies.includes(image.urn));
        const id = ofKind(prod, "RandomId")[0];
        assert.ok(find(prod, "ConfigMap", "tigerbeetle-cluster").propertyDependencies.data.includes(id.urn));
        const app = find(prod, "ConfigMap", "connector-app-config").propertyDependencies.data;
        for (const i of [0, 1, 2]) {
            assert.ok(app.includes(find(prod, "Service", `tigerbeetle-replica-${i}`).urn), `config.yaml is computed from replica ${i}'s Service`);
        }
        assert.ok(app.includes(find(prod, "ConfigMap", "tigerbeetle-cluster").urn), "and from the ledger's identity record");
    });

    it("an update's capture (not a preview) has no unknowns", async () => {
        const up = await captureStack("prod");
        assert.deepStrictEqual(up.resources.filter((r) => r.unknownPaths.length > 0 || sentinelPaths(r.props).length > 0).map((r) => r.name), []);
    });
});
