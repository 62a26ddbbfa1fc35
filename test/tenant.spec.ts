// Tenant stacks under mocks: what a platform stack exports for them, how a tenant stack
// reads it through its StackReference (the harness answers it with a captured platform
// stack's outputs), that it registers its tenant exactly as the one-stack layout does, and
// every bad input refused with the key and the fix before any resource.
import * as assert from "assert";
import { ConfigError, TenantPlatform } from "../config";
import { tenantPolicyConfig } from "../automation/tenants";
import { loadConfig as packConfig, runPack, show } from "../policy/test/run";
import { CapturedResource, CapturedStack, CapturedTenant, PROD_SECRETS, ReferencedPlatform, captureStack, captureTenant, find, ofKind, stackFile } from "./harness";

const AGENCY_IMAGE = "127.0.0.1:5000/m2m/digital-agency:v1.0.0";

/** A tenant stack file's values: `tenant` of platform stack `platform`, with `extra` keys. */
function tenantValues(platform: string, tenant: string, extra: Record<string, unknown> = {}, environment = "dev"): Record<string, unknown> {
    return { environment, stackKind: "tenant", tenantStack: { platform, tenant }, ...extra };
}

/** A captured platform stack as its tenant stacks' StackReference reads it. */
function referenced(stack: string, captured: CapturedStack): ReferencedPlatform {
    return { stack, outputs: captured.outputs, secretOutputNames: [...captured.secretOutputs] };
}

/** The resources under the tenant's AgencyTenant, keyed by their type chain from it and their name. */
function tenantTree(s: Pick<CapturedStack, "resources">, tenant: string): Map<string, CapturedResource> {
    const byUrn = new Map(s.resources.map((r) => [r.urn, r]));
    const root = s.resources.find((r) => r.type === "m2m:platform:AgencyTenant" && r.name === `agency-${tenant}`);
    assert.ok(root, `an AgencyTenant agency-${tenant}`);
    const tree = new Map<string, CapturedResource>();
    for (const r of s.resources) {
        const chain: string[] = [];
        for (let p: CapturedResource | undefined = r; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
            chain.unshift(p.type);
            if (p === root) {
                tree.set(`${chain.join("$")}::${r.name}`, r);
                break;
            }
        }
    }
    return tree;
}

/** The type chain of a resource's URN: its ancestors' types and its own, as the engine joins them. */
function typeChain(s: Pick<CapturedStack, "resources">, r: CapturedResource): string {
    const byUrn = new Map(s.resources.map((x) => [x.urn, x]));
    const chain: string[] = [];
    for (let p: CapturedResource | undefined = r; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
        chain.unshift(p.type);
    }
    return chain.join("$");
}

describe("tenant stacks", function () {
    this.timeout(60000);
    const devTenants = (tenants: string[], tenantStacks: string[]) => ({ agency: { image: AGENCY_IMAGE, tenants, tenantStacks } });

    describe("the platform stack", () => {
        let dev: CapturedStack;
        before(async () => {
            dev = await captureStack("dev", devTenants(["client-a"], ["client-b", "client-c"]));
        });

        it("exports tenantPlatform: each tenant stack's namespace, the images, the registry, AgentState and the other peers", () => {
            const p = dev.outputs.tenantPlatform as TenantPlatform;
            assert.strictEqual(p.version, 1);
            assert.deepStrictEqual(p.tenants, ["client-a"]);
            assert.deepStrictEqual(p.tenantStacks, { "client-b": { namespace: "client-b" }, "client-c": { namespace: "client-c" } });
            assert.deepStrictEqual(p.images, { agent: AGENCY_IMAGE, brain: AGENCY_IMAGE });
            assert.deepStrictEqual(p.agentState, { namespace: "agentstate", port: 8080 });
            assert.strictEqual(p.monitoringNamespace, "monitoring");
            assert.deepStrictEqual(p.priorityClass, { name: "m2m-tenant", value: 1000, preemptionPolicy: "Never" });
            assert.strictEqual(p.agency.hpa.maxReplicas, 5);
            assert.ok(!dev.secretOutputs.has("tenantPlatform"), "tenantPlatform is plain: a tenant stack reads it without the platform's passphrase");
        });

        it("admits the tenant stacks' namespaces to AgentState, as its own tenants'", () => {
            const policy = ofKind(dev, "NetworkPolicy").find((n) => n.props.metadata.namespace === "agentstate" && JSON.stringify(n.props.spec.ingress ?? []).includes("client-a"));
            assert.ok(policy, "AgentState's ingress policy");
            const admitted = JSON.stringify(policy.props.spec.ingress);
            for (const ns of ["client-a", "client-b", "client-c"]) {
                assert.ok(admitted.includes(`"${ns}"`), `${ns} reaches AgentState`);
            }
        });

        it("registers none of the tenant stacks' resources", () => {
            const names = ofKind(dev, "Namespace").map((n) => n.props.metadata.name);
            assert.ok(names.includes("client-a"));
            assert.ok(!names.includes("client-b") && !names.includes("client-c"), names.join(", "));
        });

        it("exports the registry password only as the secret tenantRegistryPassword", async () => {
            const prod = await captureStack("prod", { agency: { tenants: ["client-a"], tenantStacks: ["client-b"] } });
            assert.ok(prod.secretOutputs.has("tenantRegistryPassword"));
            assert.strictEqual(prod.outputs.tenantRegistryPassword, PROD_SECRETS.registryPassword);
            const p = prod.outputs.tenantPlatform as TenantPlatform;
            assert.deepStrictEqual(p.registry, { server: "registry.example.com", username: "m2m-ci", password: { source: "pulumi" } });
            assert.ok(!JSON.stringify(p).includes(PROD_SECRETS.registryPassword), "no secret value in tenantPlatform");
        });

        it("refuses a tenant listed in both layouts, naming agency.tenantStacks and the fix", async () => {
            await assert.rejects(
                () => captureStack("dev", devTenants(["client-a", "client-b"], ["client-b"])),
                (err: unknown) =>
                    err instanceof ConfigError &&
                    /m2m-platform:agency\.tenantStacks: tenant client-b is listed in both layouts \(also in agency\.tenants\)\. Fix: keep it in one list/.test(err.message),
            );
        });

        it("refuses tenantStack in a platform stack", async () => {
            await assert.rejects(() => captureStack("dev", { tenantStack: { platform: "x", tenant: "y" } }), /m2m-platform:tenantStack: is only read by a tenant stack\. Fix: remove it, or set stackKind to tenant/);
        });
    });

    describe("a tenant stack", () => {
        let oneStack: CapturedStack;
        let platform: CapturedStack;
        let tenant: CapturedTenant;
        before(async () => {
            oneStack = await captureStack("dev", devTenants(["client-a", "client-b"], []));
            platform = await captureStack("dev", devTenants(["client-a"], ["client-b"]));
            tenant = await captureTenant("dev.client-b", tenantValues("dev", "client-b"), referenced("dev", platform));
        });

        it("registers its tenant as the one-stack layout does: the same resources, names, type chains and inputs", () => {
            const mine = tenantTree(tenant, "client-b");
            const theirs = tenantTree(oneStack, "client-b");
            assert.deepStrictEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
            for (const [key, r] of mine) {
                assert.deepStrictEqual(r.props, theirs.get(key)!.props, key);
            }
            assert.ok(mine.size >= 12, `the tenant's namespace, workloads, services, HPA, policies: ${mine.size}`);
        });

        it("puts its tenant at the root of the stack, where `pulumi state move` puts a tenant moved from the platform stack", () => {
            const t = tenant.resources.find((r) => r.type === "m2m:platform:AgencyTenant")!;
            assert.strictEqual(t.name, "agency-client-b", "the name the platform stack gives it");
            assert.strictEqual(typeChain(tenant, t), "m2m:platform:AgencyTenant");
            const o = oneStack.resources.find((r) => r.type === "m2m:platform:AgencyTenant" && r.name === "agency-client-b")!;
            assert.strictEqual(typeChain(oneStack, o), "m2m:platform:Agency$m2m:platform:AgencyTenant", "under the Agency in the platform stack (an alias takes a moved-back tenant from the root)");
        });

        it("reads the platform through one StackReference, and registers nothing of the platform's", () => {
            const refs = tenant.resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
            assert.deepStrictEqual(refs.map((r) => r.props.name), ["organization/m2m-platform/dev"]);
            const namespaces = ofKind(tenant, "Namespace").map((n) => n.props.metadata.name);
            assert.deepStrictEqual(namespaces, ["client-b"]);
            assert.deepStrictEqual(ofKind(tenant, "Image"), [], "no image is built: it runs the platform's");
            assert.deepStrictEqual(tenant.resources.filter((r) => r.type.startsWith("kubernetes:scheduling")), [], "no PriorityClass of its own");
        });

        it("runs the platform's image and admits only the platform's peers", () => {
            const sts = find(tenant, "StatefulSet", "agent", "client-b");
            assert.ok(sts.props.spec.template.spec.containers.every((c: { image: string }) => c.image === AGENCY_IMAGE));
            assert.strictEqual(sts.props.spec.template.spec.priorityClassName, "m2m-tenant");
            const egress = JSON.stringify(find(tenant, "NetworkPolicy", "tenant-isolation", "client-b").props.spec.egress);
            assert.match(egress, /"kubernetes.io\/metadata.name":"agentstate"/);
        });

        it("exports its namespace and endpoints", () => {
            assert.strictEqual(tenant.outputs.namespace, "client-b");
            assert.deepStrictEqual(Object.keys(tenant.outputs.agencyEndpoints as object), ["client-b"]);
        });

        it("sets its own agency fields over the platform's, field by field", async () => {
            const own = await captureTenant("dev.client-b", tenantValues("dev", "client-b", { agency: { hpa: { maxReplicas: 3 }, image: "127.0.0.1:5000/m2m/digital-agency:v1.0.1" } }), referenced("dev", platform));
            const hpa = find(own, "HorizontalPodAutoscaler", "agent-hpa", "client-b").props.spec;
            assert.strictEqual(hpa.maxReplicas, 3);
            assert.strictEqual(hpa.minReplicas, 1, "the platform's minReplicas");
            const sts = find(own, "StatefulSet", "agent", "client-b");
            assert.strictEqual(sts.props.spec.template.spec.containers[0].image, "127.0.0.1:5000/m2m/digital-agency:v1.0.1");
            assert.strictEqual(find(own, "StatefulSet", "brain", "client-b").props.spec.template.spec.containers[0].image, "127.0.0.1:5000/m2m/digital-agency:v1.0.1", "the Brain follows its own image");
        });

        describe("in prod", () => {
            let prodTenant: CapturedTenant;
            let prodPlatform: CapturedStack;
            before(async () => {
                prodPlatform = await captureStack("prod", { agency: { tenants: ["client-a"], tenantStacks: ["client-b"] } });
                prodTenant = await captureTenant("prod.client-b", tenantValues("prod", "client-b", {}, "prod"), referenced("prod", prodPlatform));
            });

            it("passes the policy pack with no violation under the driver's tenant policy config (the tenants' PriorityClass is the platform's)", async () => {
                const resources = prodTenant.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.protect }));
                const platform = prodPlatform.outputs.tenantPlatform as TenantPlatform;
                const violations = await runPack(resources, tenantPolicyConfig(packConfig("prod") as Record<string, unknown>, platform) as ReturnType<typeof packConfig>);
                assert.deepStrictEqual(violations, [], show(violations));
                const plain = await runPack(resources, packConfig("prod"));
                assert.deepStrictEqual([...new Set(plain.map((v) => v.policy))], ["pods-have-priority-class"], "without it, the class is unknown to the tenant stack");
            });

            it("holds the registry password in its pull Secret, as a secret", () => {
                const pull = find(prodTenant, "Secret", "registry-pull", "client-b");
                const auth = Buffer.from(`m2m-ci:${PROD_SECRETS.registryPassword}`).toString("base64");
                assert.ok(JSON.stringify(pull.props).includes(auth) || JSON.stringify(pull.props).includes(PROD_SECRETS.registryPassword), "the platform's password");
                assert.ok(pull.secretPaths.length > 0, "it travels as a secret");
            });
        });
    });

    describe("refuses, naming the key and the fix, before any resource", () => {
        let platform: CapturedStack;
        before(async () => {
            platform = await captureStack("dev", devTenants(["client-a"], ["client-b"]));
        });
        const refused = async (values: Record<string, unknown>, ref: ReferencedPlatform | undefined, message: RegExp) => {
            await assert.rejects(captureTenant("dev.client-b", values, ref), (err: unknown) => err instanceof ConfigError && message.test(err.message) && /nothing was deployed/.test(err.message));
        };

        it("a platform stack that does not exist yet, or has no outputs", async () => {
            await refused(tenantValues("dev", "client-b"), undefined, /m2m-platform:tenantStack\.platform: platform stack dev has no tenantPlatform output: it does not exist yet, or has never been deployed\. Fix: deploy it first: npm run deploy -- up --stack dev/);
            await refused(tenantValues("dev", "client-b"), { stack: "dev", outputs: {} }, /platform stack dev has no tenantPlatform output/);
        });

        it("a tenant the platform stack also runs itself (both layouts)", async () => {
            await refused(tenantValues("dev", "client-a"), referenced("dev", platform), /m2m-platform:tenantStack\.tenant: tenant client-a is listed in both layouts: platform stack dev runs it itself \(its agency\.tenants\)\. Fix: run it in one place: move it to agency\.tenantStacks in Pulumi\.dev\.yaml/);
        });

        it("a tenant the platform stack does not list in agency.tenantStacks", async () => {
            await refused(tenantValues("dev", "client-x"), referenced("dev", platform), /m2m-platform:tenantStack\.tenant: platform stack dev has no tenant stack client-x \(its agency\.tenantStacks: client-b\)\. Fix: add client-x to agency\.tenantStacks in Pulumi\.dev\.yaml and up the platform stack first/);
        });

        it("an environment other than its platform's", async () => {
            await refused(tenantValues("dev", "client-b", {}, "prod"), referenced("dev", platform), /m2m-platform:environment: is prod, platform stack dev is dev\. Fix: set environment to dev/);
        });

        it("a platform key, or the platform's tenant lists, set in the tenant stack", async () => {
            await refused(tenantValues("dev", "client-b", { connector: { replicas: 2 } }), referenced("dev", platform), /m2m-platform:connector: is a platform stack's key: a tenant stack reads it from its platform stack\. Fix: remove it from this stack/);
            await refused(tenantValues("dev", "client-b", { agency: { tenants: ["client-b"] } }), referenced("dev", platform), /m2m-platform:agency\.tenants: is not set in a tenant stack\. Fix: remove it: the platform stack lists its tenants/);
        });

        it("no platform or tenant named", async () => {
            await assert.rejects(
                captureTenant("dev.client-b", { environment: "dev", stackKind: "tenant" }, referenced("dev", platform)),
                (err: unknown) => err instanceof ConfigError && /tenantStack\.platform: is required/.test(err.message) && /tenantStack\.tenant: is required/.test(err.message),
            );
        });

        it("an agency field its declaration rejects, with the same message as in a platform stack", async () => {
            await refused(tenantValues("dev", "client-b", { agency: { hpa: { minReplicas: 6 } } }), referenced("dev", platform), /m2m-platform:agency\.hpa\.maxReplicas: maxReplicas \(5\) is below minReplicas \(6\)/);
        });
    });

    it("the dev stack file stays a one-stack platform stack", () => {
        const dev = stackFile("dev");
        assert.strictEqual(dev.stackKind, undefined);
        assert.strictEqual((dev["agency"] as { tenantStacks?: unknown }).tenantStacks, undefined);
    });
});
