import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../config";
import { promiseOf, stackFile } from "./harness";

/** What the providers compute: random values, and the ClusterIP the API server gives a Service. */
function computed(type: string, inputs: Record<string, any>): Record<string, unknown> {
    if (type.startsWith("random:")) {
        return { base64: "a2V5", hex: "00", result: "pw" };
    }
    return type === "kubernetes:core/v1:Service" ? { spec: { clusterIP: "10.96.0.10", ...inputs.spec } } : {};
}

/** The program's entry point, run as the engine runs it: config from the runtime, outputs exported. */
describe("index.ts", () => {
    let program: Record<string, unknown>;

    before(async () => {
        // The engine hands config over as strings, objects JSON-encoded.
        const config = Object.fromEntries(
            Object.entries(stackFile("dev")).map(([k, v]) => [`${PROJECT}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
        );
        pulumi.runtime.setAllConfig(config, []);
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, ...computed(args.type, args.inputs) } }),
                call: (args) => args.inputs,
            },
            PROJECT,
            "dev",
            false,
            "organization",
        );
        // The module exports the stack's outputs as its value (`export =`).
        program = ((await import("../index")) as unknown as { default: Record<string, unknown> }).default;
    });
    after(() => pulumi.runtime.setAllConfig({}));

    it("exports every endpoint the README lists", () => {
        // Only the outputs the stack's config calls for: none undefined, which the engine would warn of.
        assert.deepStrictEqual(Object.keys(program).sort(), [
            "agencyEndpoints",
            "agentStateUrl",
            "btpUrl",
            "capKeyIds",
            "capKeys",
            "explorerUrl",
            "spspEndpoint",
            "tenantPlatform",
            "tigerBeetleAddresses",
            "tigerBeetleClusterId",
        ]);
    });

    it("resolves them from the stack's config", async () => {
        assert.deepStrictEqual(await promiseOf(program.tigerBeetleAddresses as pulumi.Output<string[]>), [
            "10.96.0.10:3000",
        ]);
        assert.strictEqual(await promiseOf(program.explorerUrl as pulumi.Output<string>), "http://connector-explorer.m2m-connector.svc.cluster.local:5173");
        assert.deepStrictEqual(program.capKeyIds, { active: "dev-active", next: "dev-next" });
    });

    it("exports the CAP key values only as a secret", async () => {
        assert.strictEqual(await pulumi.isSecret(program.capKeys as pulumi.Output<unknown>), true);
        assert.strictEqual(await pulumi.isSecret(program.explorerUrl as pulumi.Output<unknown>), false);
    });
});
