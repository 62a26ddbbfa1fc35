// The pack against what the program actually registers (captured under mocks): the prod
// stack passes every mandatory policy, dev produces advisories only, and the stack
// policies catch a connector that misses one TigerBeetle replica address.
import * as assert from "assert";
import * as yaml from "js-yaml";
import { CapturedStack, captureStack } from "../harness";
import { AVAILABILITY_POLICIES, withAvailabilityBreaches } from "../../policy/test/fixtures";
import { Resource, Violation, loadConfig, policies, policyNamed, runPack, runStackPolicy, show } from "../../policy/test/run";

function resourcesOf(stack: CapturedStack): Resource[] {
    return stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.protect }));
}

/** The prod stack with one address removed from both connector ConfigMaps. */
function withoutOneReplica(stack: CapturedStack, dropped: string): Resource[] {
    return resourcesOf(stack).map((r) => {
        if (r.type !== "kubernetes:core/v1:ConfigMap") {
            return r;
        }
        const props = JSON.parse(JSON.stringify(r.props));
        if (props.metadata?.name === "connector-config") {
            props.data.TIGERBEETLE_REPLICAS = String(props.data.TIGERBEETLE_REPLICAS)
                .split(",")
                .filter((a) => a !== dropped)
                .join(",");
        }
        if (props.metadata?.name === "connector-app-config") {
            const doc = yaml.load(props.data["config.yaml"]) as { settlement: { tigerBeetleReplicas: string[] } };
            doc.settlement.tigerBeetleReplicas = doc.settlement.tigerBeetleReplicas.filter((a) => a !== dropped);
            props.data["config.yaml"] = yaml.dump(doc, { lineWidth: -1 });
        }
        return { ...r, props };
    });
}

describe("policy pack on the captured stacks", function () {
    this.timeout(60000);
    let prod: CapturedStack;
    let dev: CapturedStack;
    let prodViolations: Violation[];
    let devViolations: Violation[];

    before(async () => {
        prod = await captureStack("prod");
        prodViolations = await runPack(resourcesOf(prod), loadConfig("prod"));
        dev = await captureStack("dev");
        devViolations = await runPack(resourcesOf(dev), loadConfig("dev"));
    });

    it("prod has zero mandatory violations under policy/config/prod.json", () => {
        const mandatory = prodViolations.filter((v) => v.level === "mandatory");
        assert.deepStrictEqual(mandatory, [], `mandatory violations:\n${show(mandatory)}`);
    });

    it("prod has no advisory violations either", () => {
        assert.deepStrictEqual(prodViolations, [], show(prodViolations));
    });

    it("prod has zero mandatory violations under the pack defaults (no config file)", async () => {
        const violations = await runPack(resourcesOf(prod), {});
        assert.deepStrictEqual(violations, [], show(violations));
    });

    it("dev passes with advisories only under policy/config/dev.json", () => {
        const mandatory = devViolations.filter((v) => v.level !== "advisory");
        assert.deepStrictEqual(mandatory, [], show(mandatory));
    });

    it("dev under the prod config reports what dev relaxes: one TigerBeetle replica, cluster ID 0, dev mode, no TLS, no alert rules", async () => {
        const violations = await runPack(resourcesOf(dev), loadConfig("prod"));
        const names = new Set(violations.map((v) => v.policy));
        for (const expected of ["tigerbeetle-replica-quorum", "tigerbeetle-cluster-id-nonzero", "agentstate-dev-mode-disabled", "agentstate-serves-tls", "namespaces-have-alert-rules"]) {
            assert.ok(names.has(expected), `expected ${expected} in:\n${show(violations)}`);
        }
        assert.ok(violations.every((v) => v.level === "mandatory"));
    });

    it("reports the captured prod stack without its TigerBeetle PDB, mandatory, under both PDB policies", async () => {
        const resources = resourcesOf(prod).filter((r) => !(r.type === "kubernetes:policy/v1:PodDisruptionBudget" && r.props.metadata?.name === "tigerbeetle"));
        const violations = await runPack(resources, loadConfig("prod"), policies);
        assert.deepStrictEqual(
            violations.map((v) => `${v.policy} ${v.level}`).sort(),
            ["tigerbeetle-pdb-preserves-quorum mandatory", "workloads-have-disruption-budgets mandatory"],
            show(violations),
        );
    });

    it("reports one breach of each availability rule in the captured prod stack, mandatory, each under its own policy", async () => {
        const violations = await runPack(withAvailabilityBreaches(resourcesOf(prod)), loadConfig("prod"));
        assert.deepStrictEqual(violations.map((v) => `${v.policy} ${v.level}`).sort(), AVAILABILITY_POLICIES.map((p) => `${p} mandatory`).sort(), show(violations));
    });

    describe("a connector that misses one TigerBeetle replica address", () => {
        let missing: Violation[];
        let dropped: string;

        before(async () => {
            const addresses = prod.outputs.tigerBeetleAddresses as string[];
            assert.strictEqual(addresses.length, 3);
            dropped = addresses[1];
            missing = await runStackPolicy(policyNamed("connector-lists-every-tigerbeetle-replica"), withoutOneReplica(prod, dropped), loadConfig("prod"));
        });

        it("is reported for TIGERBEETLE_REPLICAS, naming the missing address", () => {
            const v = missing.find((x) => x.message.startsWith("ConfigMap") && x.message.includes("/connector-config: TIGERBEETLE_REPLICAS misses"));
            assert.ok(v, show(missing));
            assert.ok(v.message.includes(dropped), v.message);
            assert.ok(v.message.includes("(2 of 3 listed)"), v.message);
            assert.ok(v.message.includes("[checklist item 2:"), v.message);
            assert.strictEqual(v.level, "mandatory");
        });

        it("is reported for config.yaml settlement.tigerBeetleReplicas", () => {
            const v = missing.find((x) => x.message.includes("/connector-app-config: config.yaml settlement.tigerBeetleReplicas misses"));
            assert.ok(v, show(missing));
            assert.ok(v.message.includes(dropped), v.message);
        });

        it("reports exactly those two violations", () => {
            assert.strictEqual(missing.length, 2, show(missing));
        });

        it("is mandatory for prod and advisory under the dev config", async () => {
            const devLevel = await runStackPolicy(policyNamed("connector-lists-every-tigerbeetle-replica"), withoutOneReplica(prod, dropped), loadConfig("dev"));
            assert.strictEqual(devLevel.length, 2);
            assert.ok(devLevel.every((v) => v.level === "advisory"));
        });
    });
});
