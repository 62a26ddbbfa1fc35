// The pack on the stacks as `pulumi preview` hands them to the analyzer: values unknown until
// apply carry the engine's sentinel (test/harness.ts, preview mode), props arrive through
// @pulumi/policy's unknown-checking proxy, and a policy that reads an unknown value is turned
// into an advisory "can't run … during preview" report, as server.js does (policy/test/run.ts).
// No policy may end up there, and what the update would report the preview reports too.
import * as assert from "assert";
import { CapturedStack, UNKNOWN, capturePreview, captureStack } from "../harness";
import { AVAILABILITY_POLICIES, withAvailabilityBreaches } from "../../policy/test/fixtures";
import { Resource, Violation, loadConfig, policies, policyNamed, runPack, runStackPolicy, show } from "../../policy/test/run";

function resourcesOf(stack: CapturedStack): Resource[] {
    return stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.protect, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies }));
}

/**
 * Every report of the real engine's `pulumi preview --stack prod --policy-pack policy
 * --policy-pack-config policy/config/prod.json` before the pack handled unknown values:
 * policy, resource (Pulumi name; stack policies report on the stack) and the unknown value
 * it tripped over. 29 of the 34 policies could not run.
 */
const ENGINE_REPORTS: [string, string, string][] = [
    ["agency-tenants-have-hpa", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["agentstate-dev-mode-disabled", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["agentstate-dev-mode-disabled", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["agentstate-serves-tls", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["business-logic-has-hpa", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["cap-keys-only-in-secrets", "agentstate-cap-keys", ".stringData"],
    ["cap-keys-only-in-secrets", "business-logic-postgres-credentials", ".stringData"],
    ["cap-keys-only-in-secrets", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["cap-keys-only-in-secrets", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["connector-lists-every-tigerbeetle-replica", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-disallow-privilege-escalation", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-disallow-privilege-escalation", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-drop-all-capabilities", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-drop-all-capabilities", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-have-health-probes", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-have-health-probes", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-have-resource-limits", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-have-resource-limits", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-not-privileged", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-not-privileged", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["containers-read-only-root-filesystem", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["containers-read-only-root-filesystem", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["images-are-pinned", "agency-client-a-agent", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "agency-client-a-brain", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "agency-client-b-agent", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "agency-client-b-brain", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "agent-runtime-deployment", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "business-logic-deployment", ".spec.template.spec.containers.0.image"],
    ["images-are-pinned", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["images-are-pinned", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["metrics-endpoints-are-scraped", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["namespaces-have-network-policies", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["no-secret-literals-in-env", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["no-secret-literals-in-env", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["no-secrets-in-configmaps", "connector-app-config", ".data.config.yaml"],
    ["no-secrets-in-configmaps", "connector-env", ".data.TIGERBEETLE_CLUSTER_ID"],
    ["no-secrets-in-configmaps", "tigerbeetle-identity", ".data.clusterId"],
    ["pods-no-host-access", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["pods-no-host-access", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["pods-run-as-non-root", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["pods-run-as-non-root", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["pods-use-dedicated-service-account", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["pods-use-dedicated-service-account", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["pods-use-runtime-default-seccomp", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["pods-use-runtime-default-seccomp", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["resource-requests-within-bounds", "connector-deployment", ".spec.template.metadata.annotations.checksum/config"],
    ["resource-requests-within-bounds", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-cluster-id-nonzero", "tigerbeetle-identity", ".data.clusterId"],
    ["tigerbeetle-cluster-id-nonzero", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-no-ingress-route", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-pdb-preserves-quorum", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-port-not-exposed", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-pvc-per-replica", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["tigerbeetle-replica-quorum", "tigerbeetle-statefulset", ".spec.template.metadata.annotations.m2m.platform/cluster-id"],
    ["workloads-have-disruption-budgets", "(stack)", ".spec.template.metadata.annotations.m2m.platform/cluster-id"]
];

/** A harness path (`spec.containers[0].image`) as UnknownValueError prints it (`.spec.containers.0.image`). */
const asErrorPath = (p: string) => `.${p.replace(/\[(\d+)\]/g, ".$1")}`;

const cantRun = (vs: Violation[]) => vs.filter((v) => v.cantRun);

describe("policy pack on the stacks in preview", function () {
    this.timeout(120000);
    let prod: CapturedStack;
    let dev: CapturedStack;
    let prodViolations: Violation[];
    let devViolations: Violation[];

    before(async () => {
        prod = await capturePreview("prod");
        prodViolations = await runPack(resourcesOf(prod), loadConfig("prod"));
        dev = await capturePreview("dev");
        devViolations = await runPack(resourcesOf(dev), loadConfig("dev"));
    });

    it("prod: no policy reports can't run under policy/config/prod.json", () => {
        assert.deepStrictEqual(cantRun(prodViolations), [], show(cantRun(prodViolations)));
    });

    it("prod: zero mandatory violations under policy/config/prod.json, and no advisory either", () => {
        const mandatory = prodViolations.filter((v) => v.level === "mandatory");
        assert.deepStrictEqual(mandatory, [], `mandatory violations:\n${show(mandatory)}`);
        assert.deepStrictEqual(prodViolations, [], show(prodViolations));
    });

    it("dev: no policy reports can't run under policy/config/dev.json, and it passes with advisories only", () => {
        assert.deepStrictEqual(cantRun(devViolations), [], show(cantRun(devViolations)));
        assert.deepStrictEqual(devViolations.filter((v) => v.level !== "advisory"), [], show(devViolations));
    });

    it("reports in preview what the update reports, for both stacks and both configs", async () => {
        for (const [stack, previewed] of [["prod", prod], ["dev", dev]] as const) {
            for (const config of ["prod", "dev"] as const) {
                const messages = async (s: CapturedStack) => (await runPack(resourcesOf(s), loadConfig(config))).map((v) => `${v.policy} ${v.level} ${v.message}`).sort();
                assert.deepStrictEqual(await messages(previewed), await messages(await captureStack(stack)), `${stack} stack under ${config}.json`);
            }
        }
    });

    it("reproduces each report the real engine printed for the prod preview, which no longer occurs", () => {
        assert.strictEqual(ENGINE_REPORTS.length, 55);
        assert.strictEqual(new Set(ENGINE_REPORTS.map(([p]) => p)).size, 29);
        for (const [policy, resource, path] of ENGINE_REPORTS) {
            assert.ok(policies.some((p) => p.name === policy), policy);
            const candidates = resource === "(stack)" ? prod.resources : prod.resources.filter((r) => r.name === resource);
            assert.ok(candidates.length > 0, `no resource ${resource} in the capture`);
            assert.ok(
                candidates.some((r) => r.unknownPaths.map(asErrorPath).includes(path)),
                `${resource}: the capture leaves ${path} unknown, as the engine did`,
            );
            assert.deepStrictEqual(cantRun(prodViolations).filter((v) => v.policy === policy), []);
        }
    });

    it("prod in preview without its TigerBeetle PDB fails both PDB policies, mandatory", async () => {
        const resources = resourcesOf(prod).filter((r) => !(r.type === "kubernetes:policy/v1:PodDisruptionBudget" && r.props.metadata?.name === "tigerbeetle"));
        const violations = await runPack(resources, loadConfig("prod"));
        assert.deepStrictEqual(violations.map((v) => `${v.policy} ${v.level}`).sort(), ["tigerbeetle-pdb-preserves-quorum mandatory", "workloads-have-disruption-budgets mandatory"], show(violations));
    });

    it("prod in preview with one breach of each availability rule: each reported under its own policy, mandatory, none unable to run", async () => {
        const violations = await runPack(withAvailabilityBreaches(resourcesOf(prod)), loadConfig("prod"));
        assert.deepStrictEqual(violations.map((v) => `${v.policy} ${v.level}`).sort(), AVAILABILITY_POLICIES.map((p) => `${p} mandatory`).sort(), show(violations));
    });

    it("prod in preview from empty with a connector given fixed addresses: reported, the ClusterIPs are not allocated yet", async () => {
        const names = [0, 1, 2].map((i) => `tigerbeetle-${i}.tigerbeetle-headless.tigerbeetle.svc.cluster.local:3000`);
        const resources = resourcesOf(prod).map((r) => {
            if (r.type !== "kubernetes:core/v1:ConfigMap" || r.props.metadata?.name !== "connector-config") {
                return r;
            }
            const props = JSON.parse(JSON.stringify(r.props));
            props.data.TIGERBEETLE_REPLICAS = names.join(",");
            return { ...r, props };
        });
        assert.strictEqual(prod.resources.find((r) => r.props.metadata?.name === "connector-config")?.props.data.TIGERBEETLE_REPLICAS, UNKNOWN);
        assert.strictEqual(prod.resources.find((r) => r.props.metadata?.name === "connector-app-config")?.props.data["config.yaml"], UNKNOWN);
        const v = await runStackPolicy(policyNamed("connector-lists-every-tigerbeetle-replica"), resources, loadConfig("prod"));
        assert.deepStrictEqual(v.map((x) => `${x.level} ${x.message.split(" [")[0]}`), [`mandatory ConfigMap m2m-connector/connector-config: TIGERBEETLE_REPLICAS lists ${names.join(",")}, but the replica Services' ClusterIPs are unknown during preview (allocated when the Services are created), so it cannot be their addresses`]);
    });

    it("prod in preview with the dev stack's literal cluster ID 0 in the connector: not known to match the generated one", async () => {
        const resources = resourcesOf(prod).map((r) => {
            if (r.props.metadata?.name !== "connector-config") {
                return r;
            }
            return { ...r, props: { ...r.props, data: { ...r.props.data, TIGERBEETLE_CLUSTER_ID: "0" } } };
        });
        const v = await runStackPolicy(policyNamed("connector-lists-every-tigerbeetle-replica"), resources, loadConfig("prod"));
        assert.deepStrictEqual(v.map((x) => x.message.split(" [")[0]), ['ConfigMap m2m-connector/connector-config: TIGERBEETLE_CLUSTER_ID is "0" and the ledger\'s cluster ID is unknown during preview, so they are not known to match']);
    });
});
