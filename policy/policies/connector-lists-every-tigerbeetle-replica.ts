import { StackValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { CHECKLIST, TIGERBEETLE_PORT, TYPES, Workload, configOf, describe, isTigerBeetle, message, ofType, plain, stackMessage, stackWorkloads, str } from "../lib";

interface Config {
    envConfigMap: string;
    appConfigMap: string;
    identityConfigMap: string;
}

/** `tigerbeetle-{i}.tigerbeetle-headless.{namespace}.svc.cluster.local:3000`, in replica order. */
function expectedAddresses(tb: Workload, serviceName: string): string[] {
    return Array.from({ length: tb.replicas ?? 1 }, (_, i) => `${tb.ref.name}-${i}.${serviceName}.${tb.ref.namespace}.svc.cluster.local:${TIGERBEETLE_PORT}`);
}

/**
 * Seed 000: the connector is configured with every TigerBeetle replica address. The
 * addresses the connector's ConfigMaps list (TIGERBEETLE_REPLICAS and config.yaml's
 * settlement.tigerBeetleReplicas) must be exactly the StatefulSet's replicas through its
 * headless Service, and the cluster ID must be the ledger's.
 */
export const connectorListsEveryTigerbeetleReplica: StackValidationPolicy = {
    name: "connector-lists-every-tigerbeetle-replica",
    description: "The connector's TIGERBEETLE_REPLICAS and config.yaml list exactly the TigerBeetle StatefulSet's replica addresses (through its headless Service) and its cluster ID.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            envConfigMap: { type: "string", default: "connector-config", description: "The connector ConfigMap with TIGERBEETLE_REPLICAS and TIGERBEETLE_CLUSTER_ID." },
            appConfigMap: { type: "string", default: "connector-app-config", description: "The connector ConfigMap holding config.yaml." },
            identityConfigMap: { type: "string", default: "tigerbeetle-cluster", description: "The TigerBeetle ConfigMap recording data.clusterId." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, connectorListsEveryTigerbeetleReplica.configSchema!);
        const item = CHECKLIST.connectorReplicas;
        const tigerbeetles = stackWorkloads(args.resources).filter(isTigerBeetle);
        if (tigerbeetles.length === 0) {
            return args.notApplicable("the stack has no TigerBeetle StatefulSet");
        }
        if (tigerbeetles.length > 1) {
            report(stackMessage(`the stack has ${tigerbeetles.length} TigerBeetle StatefulSets (${tigerbeetles.map((t) => describe(t.ref)).join(", ")}); the connector settles on one`, item, "deploy one TigerBeetle cluster per stack"));
            return;
        }
        const tb = tigerbeetles[0];
        const services = ofType(args.resources, TYPES.service);
        const configMaps = ofType(args.resources, TYPES.configMap);

        const serviceName = str(tb.props.spec?.serviceName);
        const headless = services.find((s) => s.ref.namespace === tb.ref.namespace && s.ref.name === serviceName);
        if (!serviceName || !headless) {
            report(
                message(tb.ref, serviceName ? `spec.serviceName ${serviceName} names no Service in ${tb.ref.namespace}` : "has no spec.serviceName, so its replicas have no stable addresses", item, "create the headless Service (clusterIP: None) and set spec.serviceName to it"),
                tb.urn,
            );
            return;
        }
        if (str(headless.props.spec?.clusterIP) !== "None") {
            report(message(headless.ref, "is the StatefulSet's serviceName but not headless, so tigerbeetle-{i} names do not resolve", item, "set spec.clusterIP to None"), headless.urn);
        }
        const expected = expectedAddresses(tb, serviceName);
        const identity = configMaps.find((c) => c.ref.namespace === tb.ref.namespace && c.ref.name === cfg.identityConfigMap);
        const clusterId = str(identity?.props.data?.clusterId);

        const compare = (ref: Parameters<typeof message>[0], urn: string, where: string, listed: string[]) => {
            const missing = expected.filter((a) => !listed.includes(a));
            const extra = listed.filter((a) => !expected.includes(a));
            if (missing.length > 0) {
                report(message(ref, `${where} misses TigerBeetle replica address${missing.length === 1 ? "" : "es"} ${missing.join(", ")} (${listed.length} of ${expected.length} listed)`, item, `list all ${expected.length} replica addresses of ${describe(tb.ref)} through ${serviceName}, in replica order`), urn);
            }
            if (extra.length > 0) {
                report(message(ref, `${where} lists address${extra.length === 1 ? "" : "es"} ${extra.join(", ")} that ${describe(tb.ref)} does not serve`, item, `list exactly the replicas of ${describe(tb.ref)}: ${expected.join(",")}`), urn);
            }
            if (missing.length === 0 && extra.length === 0 && listed.join(",") !== expected.join(",")) {
                report(message(ref, `${where} lists the replica addresses out of replica order`, item, `list them in replica order: ${expected.join(",")}`), urn);
            }
        };

        const envMaps = configMaps.filter((c) => c.ref.name === cfg.envConfigMap);
        const appMaps = configMaps.filter((c) => c.ref.name === cfg.appConfigMap);
        if (envMaps.length === 0 && appMaps.length === 0) {
            report(stackMessage(`no connector ConfigMap (${cfg.envConfigMap} or ${cfg.appConfigMap}) lists the replicas of ${describe(tb.ref)}`, item, "give the connector TIGERBEETLE_REPLICAS and config.yaml settlement.tigerBeetleReplicas"));
        }
        for (const cm of envMaps) {
            const raw = str(cm.props.data?.TIGERBEETLE_REPLICAS);
            if (raw === undefined) {
                report(message(cm.ref, "has no TIGERBEETLE_REPLICAS", item, `set TIGERBEETLE_REPLICAS to ${expected.join(",")}`), cm.urn);
            } else {
                compare(cm.ref, cm.urn, "TIGERBEETLE_REPLICAS", raw.split(",").map((a) => a.trim()).filter((a) => a !== ""));
            }
            const cid = str(cm.props.data?.TIGERBEETLE_CLUSTER_ID);
            if (clusterId !== undefined && cid !== clusterId) {
                report(message(cm.ref, `TIGERBEETLE_CLUSTER_ID is ${cid ?? "unset"} but the ledger's cluster ID is ${clusterId}`, item, "set TIGERBEETLE_CLUSTER_ID from the TigerBeetle cluster's ID"), cm.urn);
            }
        }
        for (const cm of appMaps) {
            const text = str(cm.props.data?.["config.yaml"]);
            let settlement: { tigerBeetleReplicas?: unknown; tigerBeetleClusterId?: unknown } | undefined;
            try {
                settlement = (plain<any>(text === undefined ? undefined : yaml.load(text)) ?? {}).settlement;
            } catch (e) {
                report(message(cm.ref, `config.yaml does not parse as YAML (${(e as Error).message.split("\n")[0]})`, item, "render config.yaml with a YAML serializer"), cm.urn);
                continue;
            }
            const listed = settlement?.tigerBeetleReplicas;
            if (!Array.isArray(listed)) {
                report(message(cm.ref, "config.yaml has no settlement.tigerBeetleReplicas list", item, `set settlement.tigerBeetleReplicas to the ${expected.length} replica addresses`), cm.urn);
            } else {
                compare(cm.ref, cm.urn, "config.yaml settlement.tigerBeetleReplicas", listed.map((a) => String(a)));
            }
            const cid = settlement?.tigerBeetleClusterId;
            if (clusterId !== undefined && (typeof cid !== "string" || cid !== clusterId)) {
                report(message(cm.ref, `config.yaml settlement.tigerBeetleClusterId is ${JSON.stringify(cid)} but the ledger's cluster ID is "${clusterId}"`, item, "write the cluster ID as a string (a 128-bit ID does not fit a JavaScript number)"), cm.urn);
            }
        }
    },
};
