// The pack on the stacks whose credentials come from an external store (secrets.source
// externalSecrets), captured as `pulumi up` and as `pulumi preview` see them: prod passes
// every policy, credentials-from-external-store included, and catches a credential Secret
// that the program would still fill from the stack config.
import * as assert from "assert";
import { CapturedStack, PROD_SECRETS, capturePreview, captureStack, vaultSecrets } from "../harness";
import { Resource, Violation, loadConfig, policyNamed, runPack, runStackPolicy, show } from "../../policy/test/run";

function resourcesOf(stack: CapturedStack): Resource[] {
    return stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.protect, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies }));
}

const VAULT = {
    secrets: vaultSecrets({ businessLogicDatabaseUrl: "m2m/prod/database-url" }),
    businessLogic: { database: { mode: "external" } },
};

describe("policy pack on the stacks with credentials from an external store", function () {
    this.timeout(120000);
    const policy = policyNamed("credentials-from-external-store");
    let prod: CapturedStack;
    let preview: CapturedStack;

    before(async () => {
        prod = await captureStack("prod", VAULT, { secrets: {} });
        preview = await capturePreview("prod", VAULT, { secrets: {} });
    });

    for (const [name, stack] of [["up", () => prod], ["preview", () => preview]] as const) {
        it(`prod (${name}): no violation under policy/config/prod.json, and credentials-from-external-store applies`, async () => {
            const violations = await runPack(resourcesOf(stack()), loadConfig("prod"));
            assert.deepStrictEqual(violations, [], show(violations));
            assert.ok(stack().resources.some((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret"));
        });
    }

    it("dev with the external source passes with advisories only under policy/config/dev.json", async () => {
        const connector = { connectorEvmPrivateKey: "m2m/dev/evm", connectorM2mTokenAddress: "m2m/dev/token", connectorTokenNetworkRegistry: "m2m/dev/registry" };
        const dev = await captureStack("dev", { secrets: { source: "externalSecrets", store: "vault-dev", remoteKeys: connector } });
        const violations = await runPack(resourcesOf(dev), loadConfig("dev"));
        assert.deepStrictEqual(violations.filter((v) => v.level !== "advisory" || v.policy === policy.name), [], show(violations));
    });

    it("reports, mandatory, a credential Secret filled from the stack config in place of its ExternalSecret", async () => {
        const pulumiSource = await captureStack("prod", { businessLogic: VAULT.businessLogic }, { secrets: { ...PROD_SECRETS, businessLogicDatabaseUrl: "postgres://u:p@db.internal/app" } });
        const configSecret = pulumiSource.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.props.metadata.name === "connector-secrets")!;
        const resources = [
            ...resourcesOf(prod).filter((r) => !(r.type.endsWith(":ExternalSecret") && r.props.metadata.name === "connector-secrets")),
            ...resourcesOf({ ...pulumiSource, resources: [configSecret] }),
        ];
        const violations: Violation[] = await runStackPolicy(policy, resources, loadConfig("prod"));
        assert.strictEqual(violations.length, 1, show(violations));
        assert.strictEqual(violations[0].level, "mandatory");
        assert.match(violations[0].message, /^Secret m2m-connector\/connector-secrets: is read by Deployment m2m-connector\/connector \(container connector env EVM_PRIVATE_KEY\) and is a plain Secret whose values come from the program or the stack config/);
    });
});
