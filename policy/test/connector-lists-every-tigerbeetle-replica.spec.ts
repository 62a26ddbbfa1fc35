import { CLUSTER_ID, T, UNKNOWN, compliantStack, connectorConfigMaps, derivedFrom, expectViolations, generatedId, mutate, named, replicaService, tigerbeetleAddresses, withPreviewUnknowns } from "./fixtures";
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

    it("reports an address no replica Service has", async () => {
        const stray = "10.96.0.99:3000";
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps([...addresses, stray])));
        expectViolations(v, [["TIGERBEETLE_REPLICAS lists address", stray, "that no replica Service of StatefulSet tigerbeetle/tigerbeetle has"], ["config.yaml settlement.tigerBeetleReplicas lists address", stray]]);
    });

    it("reports the replicas' DNS names or pod IPs: they are not the addresses that never move", async () => {
        const names = [0, 1, 2].map((i) => `tigerbeetle-${i}.tigerbeetle-headless.tigerbeetle.svc.cluster.local:3000`);
        const v = await runPolicy(policy, withConnectorMaps(connectorConfigMaps(names)));
        expectViolations(v, [
            ["TIGERBEETLE_REPLICAS misses TigerBeetle replica addresses 10.96.0.10:3000, 10.96.0.11:3000, 10.96.0.12:3000 (3 of 3 listed)"],
            ["TIGERBEETLE_REPLICAS lists addresses", names[0]],
            ["config.yaml settlement.tigerBeetleReplicas misses"],
            ["config.yaml settlement.tigerBeetleReplicas lists addresses"],
        ]);
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

    it("reports a replica without a Service of its own, and a replica Service that is headless", async () => {
        const without = compliantStack().filter((r) => !named(T.service, "tigerbeetle-replica-1")(r));
        expectViolations(await runPolicy(policy, without), [["StatefulSet tigerbeetle/tigerbeetle: replica 1 has no Service of its own (none selects statefulset.kubernetes.io/pod-name: tigerbeetle-1), so its only address is its pod IP"]]);
        const headless = mutate(compliantStack(), named(T.service, "tigerbeetle-replica-2"), (p) => (p.spec.clusterIP = "None"));
        expectViolations(await runPolicy(policy, headless), [["Service tigerbeetle/tigerbeetle-replica-2: selects replica 2 but is headless"]]);
    });

    it("follows a five-replica cluster", async () => {
        const five = mutate(withConnectorMaps(connectorConfigMaps(tigerbeetleAddresses(5))), named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 5));
        expectViolations(await runPolicy(policy, [...five, replicaService(3), replicaService(4)]), []);
        expectViolations(await runPolicy(policy, five), [["replica 3 has no Service of its own"], ["replica 4 has no Service of its own"]]);
        const stale = mutate([...compliantStack(), replicaService(3), replicaService(4)], named(T.statefulSet, "tigerbeetle"), (p) => (p.spec.replicas = 5));
        const v = await runPolicy(policy, stale);
        expectViolations(v, [["TIGERBEETLE_REPLICAS misses", "(3 of 5 listed)"], ["config.yaml settlement.tigerBeetleReplicas misses", "(3 of 5 listed)"]]);
    });

    describe("in a preview", () => {
        const identity = named(T.configMap, "tigerbeetle-cluster");
        const env = named(T.configMap, "connector-config");
        const app = named(T.configMap, "connector-app-config");
        const sts = named(T.statefulSet, "tigerbeetle");
        const replicaSvc = (r: Resource) => r.type === T.service && /^tigerbeetle-replica-\d$/.test(r.props.metadata?.name);

        /**
         * As an update's preview of the program looks: the ledger's ID unknown (a RandomId),
         * config.yaml (which embeds it) unknown, both connector maps computed from the replica
         * Services and the ID; `envGenerator` makes TIGERBEETLE_CLUSTER_ID come from another
         * generated value instead; `fromEmpty` also leaves the Services' ClusterIPs unallocated
         * and TIGERBEETLE_REPLICAS unknown, as a preview from an empty stack does.
         */
        const preview = (
            resources: Resource[] = compliantStack(),
            { appFromServices = true, envGenerator, fromEmpty = false }: { appFromServices?: boolean; envGenerator?: Resource; fromEmpty?: boolean } = {},
        ) => {
            const ledgerId = generatedId();
            const isLedgerId = (x: Resource) => x.name === ledgerId.name;
            const isEnvId = (x: Resource) => x.name === (envGenerator ?? ledgerId).name;
            let r = [...resources, ledgerId, ...(envGenerator ? [envGenerator] : [])];
            r = mutate(r, identity, (p) => (p.data.clusterId = UNKNOWN));
            r = mutate(r, env, (p) => (p.data.TIGERBEETLE_CLUSTER_ID = UNKNOWN));
            r = mutate(r, app, (p) => (p.data["config.yaml"] = UNKNOWN));
            if (fromEmpty) {
                r = mutate(r, replicaSvc, (p) => delete p.spec.clusterIP);
                r = mutate(r, env, (p) => (p.data.TIGERBEETLE_REPLICAS = UNKNOWN));
            }
            r = derivedFrom(r, identity, "data", isLedgerId);
            r = derivedFrom(r, env, "data", (x) => replicaSvc(x) || isEnvId(x));
            return derivedFrom(r, app, "data", (x) => isLedgerId(x) || (appFromServices && replicaSvc(x)));
        };

        it("passes: config.yaml is computed from every replica Service like the checked TIGERBEETLE_REPLICAS, and both IDs are the one RandomId", async () => {
            expectViolations(await runPolicy(policy, preview()), []);
            expectViolations(await runPolicy(policy, withPreviewUnknowns(preview())), []);
        });

        it("passes from an empty stack: the ClusterIPs are not allocated yet and both lists are computed from every replica Service", async () => {
            expectViolations(await runPolicy(policy, preview(compliantStack(), { fromEmpty: true })), []);
            // The provider's preview may show the Services it will create with a dry run's IPs.
            const dryRunIps = mutate(preview(compliantStack(), { fromEmpty: true }), replicaSvc, (p, r) => (p.spec.clusterIP = `10.96.1.${r.props.metadata.name.slice(-1)}`));
            expectViolations(await runPolicy(policy, dryRunIps), []);
            const notAll = derivedFrom(
                mutate(preview(compliantStack(), { fromEmpty: true }), env, (_p, r) => (r.propertyDependencies = { data: [] })),
                env,
                "data",
                (x) => x.props.metadata?.name === "tigerbeetle-replica-0",
            );
            expectViolations(await runPolicy(policy, notAll), [
                ["connector-config: TIGERBEETLE_REPLICAS is unknown during preview and not computed from every replica Service"],
                ["connector-config: TIGERBEETLE_CLUSTER_ID is unknown during preview and the ledger's cluster ID is unknown during preview"],
            ]);
        });

        it("reports a fixed list while the ClusterIPs are not allocated yet: it cannot be theirs", async () => {
            const fixed = mutate(preview(compliantStack(), { fromEmpty: true }), env, (p) => (p.data.TIGERBEETLE_REPLICAS = addresses.join(",")));
            expectViolations(await runPolicy(policy, fixed), [["connector-config: TIGERBEETLE_REPLICAS lists 10.96.0.10:3000,10.96.0.11:3000,10.96.0.12:3000, but the replica Services' ClusterIPs are unknown during preview"]]);
        });

        it("still reports a missing address with the values a preview leaves unknown elsewhere, and then no longer vouches for the unknown config.yaml", async () => {
            const v = await runPolicy(policy, preview(withConnectorMaps(connectorConfigMaps([addresses[0], addresses[2]]))));
            expectViolations(v, [
                ["ConfigMap m2m-connector/connector-config: TIGERBEETLE_REPLICAS misses TigerBeetle replica address", addresses[1]],
                ["ConfigMap m2m-connector/connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview and not computed from every replica Service of StatefulSet tigerbeetle/tigerbeetle"],
            ]);
        });

        it("reports an unknown address list not computed from the replica Services", async () => {
            const v = await runPolicy(policy, preview(compliantStack(), { appFromServices: false }));
            expectViolations(v, [["connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview and not computed from every replica Service"]]);
            const both = mutate(preview(), env, (p) => (p.data.TIGERBEETLE_REPLICAS = UNKNOWN));
            const fromSts = derivedFrom(mutate(both, (r) => env(r) || app(r), (_p, r) => (r.propertyDependencies = { data: [] })), (r) => env(r) || app(r), "data", sts);
            expectViolations(await runPolicy(policy, fromSts), [["connector-config: TIGERBEETLE_REPLICAS is unknown during preview"], ["connector-app-config: config.yaml settlement.tigerBeetleReplicas is unknown during preview"], ["TIGERBEETLE_CLUSTER_ID is unknown during preview and the ledger's cluster ID"], ["config.yaml settlement.tigerBeetleClusterId is unknown during preview and the ledger's"]]);
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
