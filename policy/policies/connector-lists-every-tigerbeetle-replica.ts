import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { CHECKLIST, TIGERBEETLE_PORT, TYPES, UNKNOWN_TEXT, configOf, describe, get, isTigerBeetle, isUnknown, message, ofType, propertySources, sameNamespace, stackMessage, stackWorkloads, str } from "../lib";

interface Config {
    envConfigMap: string;
    appConfigMap: string;
    identityConfigMap: string;
}

/** `tigerbeetle-{i}.tigerbeetle-headless.{namespace}.svc.cluster.local:3000`, in replica order. */
function expectedAddresses(name: string, namespace: string, replicas: number, serviceName: string): string[] {
    return Array.from({ length: replicas }, (_, i) => `${name}-${i}.${serviceName}.${namespace}.svc.cluster.local:${TIGERBEETLE_PORT}`);
}

/** Whether a ConfigMap's data is computed from `source`'s outputs (the engine's propertyDependencies). */
function derivedFrom(cm: PolicyResource, source: PolicyResource | undefined): boolean {
    return source !== undefined && propertySources(cm, "data").some((d) => d.urn === source.urn);
}

/** Whether two ConfigMaps' data share a generated value: a non-Kubernetes resource (random.RandomId) both depend on. */
function shareGenerator(a: PolicyResource, b: PolicyResource | undefined): boolean {
    if (b === undefined) {
        return false;
    }
    const theirs = new Set(propertySources(b, "data").map((d) => d.urn));
    return propertySources(a, "data").some((d) => !d.type.startsWith("kubernetes:") && theirs.has(d.urn));
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
        const tbResource = args.resources.find((r) => r.urn === tb.urn);
        const services = ofType(args.resources, TYPES.service);
        const configMaps = ofType(args.resources, TYPES.configMap);

        // Values unknown during preview, decided for a rule about quorum addresses: nothing
        // unknown passes silently. What the expected addresses are built from (replica count,
        // namespace, serviceName) must be known, else the StatefulSet is reported. A connector
        // list that is unknown passes only when it is provably the same list as one that was
        // checked: computed from the StatefulSet (the engine's propertyDependencies) like a
        // known TIGERBEETLE_REPLICAS that lists every replica. An unknown cluster ID matches the
        // ledger's only when both come from the same generated value (the same RandomId).
        const serviceName = str(get(tb.props, "spec", "serviceName"));
        if (isUnknown(serviceName) || isUnknown(tb.replicas) || isUnknown(tb.ref.namespace)) {
            const what = isUnknown(tb.replicas) ? "spec.replicas" : isUnknown(serviceName) ? "spec.serviceName" : "metadata.namespace";
            report(message(tb.ref, `${what} is ${UNKNOWN_TEXT}, so the replica addresses the connector must list are not known`, item, "set it in the manifest (tigerbeetle.replicas, the headless Service's name, the tier's namespace) so the addresses can be checked"), tb.urn);
            return;
        }
        const headless = services.find((s) => sameNamespace(s.ref, tb.ref) && s.ref.name === serviceName);
        if (!serviceName || !headless) {
            report(
                message(tb.ref, serviceName ? `spec.serviceName ${serviceName} names no Service in ${tb.ref.namespace}` : "has no spec.serviceName, so its replicas have no stable addresses", item, "create the headless Service (clusterIP: None) and set spec.serviceName to it"),
                tb.urn,
            );
            return;
        }
        const clusterIP = str(get(headless.props, "spec", "clusterIP"));
        if (clusterIP !== "None") {
            const problem = isUnknown(clusterIP) ? `is the StatefulSet's serviceName but its clusterIP is ${UNKNOWN_TEXT}, so it is not known to be headless` : "is the StatefulSet's serviceName but not headless, so tigerbeetle-{i} names do not resolve";
            report(message(headless.ref, problem, item, "set spec.clusterIP to None"), headless.urn);
        }
        const expected = expectedAddresses(tb.ref.name, tb.ref.namespace ?? "default", tb.replicas ?? 1, serviceName);
        const identity = configMaps.find((c) => sameNamespace(c.ref, tb.ref) && c.ref.name === cfg.identityConfigMap);
        const clusterId = str(get(identity?.props, "data", "clusterId"));

        /** Reports what is wrong with a known list; true when it lists exactly the replicas, in order. */
        const compare = (ref: Parameters<typeof message>[0], urn: string, where: string, listed: string[]): boolean => {
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
                return false;
            }
            return missing.length === 0 && extra.length === 0;
        };
        /** Reports a cluster ID that differs from the ledger's, or is not known to match it. */
        const compareId = (cm: (typeof configMaps)[number], where: string, cid: unknown, fix: string) => {
            if (clusterId === undefined) {
                return;
            }
            if (isUnknown(clusterId) || isUnknown(cid)) {
                if (isUnknown(clusterId) && isUnknown(cid) && shareGenerator(cm, identity)) {
                    return; // both the ledger's generated ID, unknown until it is generated
                }
                const ours = isUnknown(cid) ? UNKNOWN_TEXT : JSON.stringify(cid ?? null);
                report(message(cm.ref, `${where} is ${ours} and the ledger's cluster ID is ${isUnknown(clusterId) ? UNKNOWN_TEXT : clusterId}, so they are not known to match`, item, fix), cm.urn);
                return;
            }
            if (typeof cid !== "string" || cid !== clusterId) {
                report(message(cm.ref, where === "TIGERBEETLE_CLUSTER_ID" ? `TIGERBEETLE_CLUSTER_ID is ${cid ?? "unset"} but the ledger's cluster ID is ${clusterId}` : `${where} is ${JSON.stringify(cid)} but the ledger's cluster ID is "${clusterId}"`, item, fix), cm.urn);
            }
        };
        const notKnown = (cm: (typeof configMaps)[number], where: string) =>
            report(message(cm.ref, `${where} is ${UNKNOWN_TEXT} and not computed from ${describe(tb.ref)} like a checked TIGERBEETLE_REPLICAS, so it is not known to list every replica`, item, `list all ${expected.length} replica addresses of ${describe(tb.ref)}, derived from the cluster's outputs as TIGERBEETLE_REPLICAS is`), cm.urn);

        const envMaps = configMaps.filter((c) => c.ref.name === cfg.envConfigMap);
        const appMaps = configMaps.filter((c) => c.ref.name === cfg.appConfigMap);
        if (envMaps.length === 0 && appMaps.length === 0) {
            report(stackMessage(`no connector ConfigMap (${cfg.envConfigMap} or ${cfg.appConfigMap}) lists the replicas of ${describe(tb.ref)}`, item, "give the connector TIGERBEETLE_REPLICAS and config.yaml settlement.tigerBeetleReplicas"));
        }
        // The env ConfigMaps whose known TIGERBEETLE_REPLICAS lists every replica, in order.
        const verified: (typeof configMaps)[number][] = [];
        const unknownLists: [(typeof configMaps)[number], string][] = [];
        for (const cm of envMaps) {
            const raw = str(get(cm.props, "data", "TIGERBEETLE_REPLICAS"));
            if (raw === undefined) {
                report(message(cm.ref, "has no TIGERBEETLE_REPLICAS", item, `set TIGERBEETLE_REPLICAS to ${expected.join(",")}`), cm.urn);
            } else if (isUnknown(raw)) {
                unknownLists.push([cm, "TIGERBEETLE_REPLICAS"]);
            } else if (compare(cm.ref, cm.urn, "TIGERBEETLE_REPLICAS", raw.split(",").map((a) => a.trim()).filter((a) => a !== ""))) {
                verified.push(cm);
            }
            compareId(cm, "TIGERBEETLE_CLUSTER_ID", str(get(cm.props, "data", "TIGERBEETLE_CLUSTER_ID")), "set TIGERBEETLE_CLUSTER_ID from the TigerBeetle cluster's ID");
        }
        for (const cm of appMaps) {
            const text = str(get(cm.props, "data", "config.yaml"));
            if (isUnknown(text)) {
                // config.yaml is unknown as a whole (it embeds a generated cluster ID): its list
                // is decided like any unknown list below, its cluster ID by its source.
                unknownLists.push([cm, "config.yaml settlement.tigerBeetleReplicas"]);
                compareId(cm, "config.yaml settlement.tigerBeetleClusterId", text, "write the cluster ID as a string (a 128-bit ID does not fit a JavaScript number)");
                continue;
            }
            let settlement: { tigerBeetleReplicas?: unknown; tigerBeetleClusterId?: unknown } | undefined;
            try {
                settlement = ((text === undefined ? undefined : yaml.load(text)) as any)?.settlement;
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
            compareId(cm, "config.yaml settlement.tigerBeetleClusterId", settlement?.tigerBeetleClusterId, "write the cluster ID as a string (a 128-bit ID does not fit a JavaScript number)");
        }
        for (const [cm, where] of unknownLists) {
            if (!(derivedFrom(cm, tbResource) && verified.some((v) => derivedFrom(v, tbResource)))) {
                notKnown(cm, where);
            }
        }
    },
};
