import { CLUSTER_ID, T, UNKNOWN, compliantStack, connectorConfigMaps, derivedFrom, expectViolations, generatedId, mutate, named, tigerbeetleAddresses, withPreviewUnknowns } from "./fixtures";
import { Resource } from "./run";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("connector-lists-every-tigerbeetle-replica");
const isConnectorMap = (r: Resource) => r.type === T.configMap && ["connector-config", "connector-app-config"].includes(r.props.metadata?.name);
const withConnectorMaps = (maps: Resource[]) => [...compliantStack().filter((r) => !isConnectorMap(r)), ...maps];
const addresses = tigerbeetleAddresses(3);

describe("connector-lists-every-tigerbeetle-replica", () => {
    it("passes when both ConfigMaps list the three replicas in order with the ledger's cluster ID", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a missing address in TIGERBEETLE_REPLICAS and config.yaml", async () => {
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps([addresses[0], addresses[2]])));
        expectViolations(v, [
            ["ConfigMap m2m-connector/connector-config: TIGERBEETLE_REPLICAS misses TigerBeetle replica address", addresses[1], "(2 of 3 listed)", "[checklist item 2:"],
            ["ConfigMap m2m-connector/connector-app-config: config.yaml settlement.tigerBeetleReplicas misses", addresses[1]],
        ]);
    });

    it("reports an address the StatefulSet does not serve", async () => {
        const stray = "tigerbeetle-3.tigerbeetle-headless.tigerbeetle.svc.cluster.local:3000";
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps([...addresses, stray])));
        expectViolations(v, [["TIGERBEETLE_REPLICAS lists address", stray, "does not serve"], ["config.yaml settlement.tigerBeetleReplicas lists address", stray]]);
    });

    it("reports the addresses out of replica order", async () => {
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps([addresses[1], addresses[0], addresses[2]])));
        expectViolations(v, [["TIGERBEETLE_REPLICAS lists the replica addresses out of replica order"], ["config.yaml settlement.tigerBeetleReplicas lists the replica addresses out of replica order"]]);
    });

    it("reports a cluster ID that is not the ledger's, and one written as a number", async () => {
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps(addresses, "42")));
        expectViolations(v, [[`TIGERBEETLE_CLUSTER_ID is 42 but the ledger's cluster ID is ${CLUSTER_ID}`], ['settlement.tigerBeetleClusterId is "42"']]);
        const numeric = mutate(compliantStack(), named(T.configMap, "connector-app-config"), (p) => (p.data["config.yaml"] = p.data["config.yaml"].replace(`'${CLUSTER_ID}'`, "7")));
        const withSevens = mutate(numeric, named(T.configMap, "tigerbeetle-cluster"), (p) => (p.data.clusterId = "7"));
        const v2 = await runPolicy(policy, mutate(withSevens, named(T.configMap, "connector-config"), (p) => (p.data.TIGERBEETLE_CLUSTER_ID = "7")));
        expectViolations(v2, [["settlement.tigerBeetleClusterId is 7 but the ledger's cluster ID is \"7\"", "write the cluster ID as a string"]]);
    });

    it("reports missing TIGERBEETLE_REPLICAS, a config.yaml without the list, and unparseable YAML", async () => {
        const noEnv = mutate(compliantStack(), named(T.configMap, "connector-config"), (p) => delete p.data.TIGERBEETLE_REPLICAS);
        expectViolations(await runPolicy(policy, noEnv), [["connector-config: has no TIGERBEETLE_REPLICAS"]]);
        const noList = mutate(compliantStack(), named(T.configMap, "connector-app-config"), (p) => (p.data["config.yaml"] = "nodeId: x\n"));
        expectViolations(await runPolicy(policy, noList), [["config.yaml has no settlement.tigerBeetleReplicas list"], ["settlement.tigerBeetleClusterId is undefined"]]);
        const broken = mutate(compliantStack(), named(T.configMap, "connector-app-config"), (p) => (p.data["config.yaml"] = "settlement: [unclosed"));
        expectViolations(await runPolicy(policy, broken), [["config.yaml does not parse as YAML"]]);
    });

    it("reports when no connector ConfigMap exists at all", async () => {
        expectViolations(await runPolicy(policy, withConnectorMaps([])), [["Stack: no connector ConfigMap (connector-config or connector-app-config) lists the replicas of StatefulSet tigerbeetle/tigerbeetle"]]);
    });

    it("reports a serviceName with no headless Service behind it", async () => {
        const noHeadless = compliantStack().filter((r) => !named(T.service, "tigerbeetle-headless")(r));
        expectViolations(await runPolicy(policy, noHeadless), [["StatefulSet tigerbeetle/tigerbeetle: spec.serviceName tigerbeetle-headless names no Service in tigerbeetle"]]);
        const notHeadless = mutate(compliantStack(), named(T.service, "tigerbeetle-headless"), (p) => delete p.spec.clusterIP);
        expectViolations(await runPolicy(policy, notHeadless), [["Service tigerbeetle/tigerbeetle-headless: is the StatefulSet's serviceName but not headless"]]);
    });

    it("follows a five-replica cluster", async () => {
        const five = mutate(withConnectorMaps(connectorConfigMaps(tigerbeetleAddresses(5))), named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 5));
        expectViolations(await runPolicy(policy, five), []);
        const stale = mutate(compliantStack(), named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 5));
        const v = await runPolicy(policy, stale);
        expectViolations(v, [["TIGERBEETLE_REPLICAS misses", "(3 of 5 listed)"], ["config.yaml settlement.tigerBeetleReplicas misses", "(3 of 5 listed)"]]);
    });

    describe("in a preview of a generated cluster ID", () => {
        const identity = named(T.configMap, "tigerbeetle-cluster");
        const env = named(T.configMap, "connector-config");
        const app = named(T.configMap, "connector-app-config");
        const sts = named(T.statefulSet, "tigerbeetle");

        /**
         * As the program's preview looks: the ledger's ID unknown (a RandomId), config.yaml (which
         * embeds it) unknown, and both connector maps computed from the StatefulSet and the ID;
         * `envGenerator` makes TIGERBEETLE_CLUSTER_ID come from another generated value instead.
         */
        const preview = (resources: Resource[] = compliantStack(), { appFromSts = true, envGenerator }: { appFromSts?: boolean; envGenerator?: Resource } = {}) => {
            const ledgerId = generatedId();
            const isLedgerId = (x: Resource) => x.name === ledgerId.name;
            const isEnvId = (x: Resource) => x.name === (envGenerator ?? ledgerId).name;
            let r = [...resources, ledgerId, ...(envGenerator ? [envGenerator] : [])];
            r = mutate(r, identity, (p) => (p.data.clusterId = UNKNOWN));
            r = mutate(r, env, (p) => (p.data.TIGERBEETLE_CLUSTER_ID = UNKNOWN));
            r = mutate(r, app, (p) => (p.data["config.yaml"] = UNKNOWN));
            r = derivedFrom(r, identity, "data", isLedgerId);
            r = derivedFrom(r, env, "data", (x) => sts(x) || isEnvId(x));
            return derivedFrom(r, app, "data", (x) => isLedgerId(x) || (appFromSts && sts(x)));
        };

        it("passes: config.yaml is computed from the StatefulSet like the checked TIGERBEETLE_REPLICAS, and both IDs are the one RandomId", async () => {
            expectViolations(await runPolicy(policy, preview()), []);
            expectViolations(await runPolicy(policy, withPreviewUnknowns(preview())), []);
        });

        it("still reports a missing address with the values a preview leaves unknown elsewhere, and then no longer vouches for the unknown config.yaml", async () => {
            const v = await runPolicy(policy, preview(withConnectorMaps(connectorConfigMaps([addresses[0], addresses[2]]))));
            expectViolations(v, [
                ["ConfigMap m2m-connector/connector-config: TIGERBEETLE_REPLICAS misses TigerBeetle replica address", addresses[1]],
                ["ConfigMap m2m-connector/connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview and not computed from StatefulSet tigerbeetle/tigerbeetle like a checked TIGERBEETLE_REPLICAS"],
            ]);
        });

        it("reports an unknown address list not computed from the StatefulSet", async () => {
            const v = await runPolicy(policy, preview(compliantStack(), { appFromSts: false }));
            expectViolations(v, [["connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview and not computed from StatefulSet tigerbeetle/tigerbeetle"]]);
            const both = mutate(preview(), env, (p) => (p.data.TIGERBEETLE_REPLICAS = UNKNOWN));
            expectViolations(await runPolicy(policy, both), [["connector-config: TIGERBEETLE_REPLICAS is unknown during preview"], ["connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview"]]);
        });

        it("reports cluster IDs that are not known to match: another generated value, or a literal against the generated one", async () => {
            const other = await runPolicy(policy, preview(compliantStack(), { envGenerator: generatedId("other-id") }));
            expectViolations(other, [["connector-config: TIGERBEETLE_CLUSTER_ID is unknown during preview and the ledger's cluster ID is unknown during preview, so they are not known to match"]]);
            const literal = mutate(preview(), env, (p) => (p.data.TIGERBEETLE_CLUSTER_ID = CLUSTER_ID));
            expectViolations(await runPolicy(policy, literal), [[`TIGERBEETLE_CLUSTER_ID is "${CLUSTER_ID}" and the ledger's cluster ID is unknown during preview, so they are not known to match`]]);
        });

        it("never passes a replica count unknown during preview: the addresses to list are then unknown", async () => {
            const v = await runPolicy(policy, mutate(preview(), sts, (p) => (p.spec.replicas = UNKNOWN)));
            expectViolations(v, [["StatefulSet tigerbeetle/tigerbeetle: spec.replicas is unknown during preview, so the replica addresses the connector must list are not known"]]);
        });
    });
});
