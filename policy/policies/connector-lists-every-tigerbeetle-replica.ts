import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { CHECKLIST, TIGERBEETLE_PORT, TYPES, UNKNOWN_TEXT, configOf, describe, get, isTigerBeetle, isUnknown, list, message, ofType, propertySources, sameNamespace, stackMessage, stackWorkloads, str } from "../lib";

interface Config {
    envConfigMap: string;
    appConfigMap: string;
    identityConfigMap: string;
}

/** The label the StatefulSet controller gives each pod: a Service selecting it selects one replica. */
const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

type Located = ReturnType<typeof ofType>[number];
type Report = (message: string, urn?: string) => void;
const item = CHECKLIST.connectorReplicas;

/** Whether a ConfigMap's data is computed from the outputs of every one of `sources` (the engine's propertyDependencies). */
function derivedFromAll(cm: PolicyResource, sources: PolicyResource[]): boolean {
    const used = new Set(propertySources(cm, "data").map((d) => d.urn));
    return sources.length > 0 && sources.every((s) => used.has(s.urn));
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
 * Every replica's stable address: the ClusterIP of the Service selecting that replica's pod
 * alone, with the Service port that forwards to 3000. `expected` is undefined when one is not
 * known (missing, headless, or a ClusterIP not allocated yet during preview); `services` are
 * the replica Services found, in replica order.
 */
function replicaAddresses(tb: Located, replicas: number, services: Located[], report: Report): { expected?: string[]; services: Located[] } {
    const found: Located[] = [];
    const addresses: (string | undefined)[] = [];
    for (let i = 0; i < replicas; i++) {
        const pod = `${tb.ref.name}-${i}`;
        const svc = services.find((s) => sameNamespace(s.ref, tb.ref) && str(get(s.props, "spec", "selector", POD_NAME_LABEL)) === pod);
        if (!svc) {
            report(message(tb.ref, `replica ${i} has no Service of its own (none selects ${POD_NAME_LABEL}: ${pod}), so its only address is its pod IP, which changes when the pod is rescheduled`, item, `create a ClusterIP Service selecting ${POD_NAME_LABEL}: ${pod} and list its IP`), tb.urn);
            addresses.push(undefined);
            continue;
        }
        const ip = str(get(svc.props, "spec", "clusterIP"));
        if (ip === "None") {
            report(message(svc.ref, `selects replica ${i} but is headless, so it gives the replica no address of its own`, item, "remove spec.clusterIP: None; the replica's address is the Service's ClusterIP"), svc.urn);
        } else {
            found.push(svc);
        }
        addresses.push(typeof ip === "string" && ip !== "None" && !isUnknown(ip) ? `${ip}:${servicePort(svc)}` : undefined);
    }
    return { expected: addresses.every((a) => a !== undefined) ? (addresses as string[]) : undefined, services: found };
}

/** The Service port forwarding to the replica's 3000 (3000 itself when it is not known). */
function servicePort(svc: Located): unknown {
    const ports = list(get(svc.props, "spec", "ports"));
    for (const p of isUnknown(ports) ? [] : ports) {
        const target = get(p, "targetPort");
        const port = get(p, "port");
        if (!isUnknown(port) && (target === TIGERBEETLE_PORT || target === "tigerbeetle" || (target === undefined && port === TIGERBEETLE_PORT))) {
            return port;
        }
    }
    return TIGERBEETLE_PORT;
}

/** Reports what is wrong with a known list against the expected one; true when it lists exactly the replicas, in order. */
function compareList(tb: Located, expected: string[], cm: Located, where: string, listed: string[], report: Report): boolean {
    const missing = expected.filter((a) => !listed.includes(a));
    const extra = listed.filter((a) => !expected.includes(a));
    const fix = `list the ${expected.length} replica Services' addresses of ${describe(tb.ref)} in replica order: ${expected.join(",")}`;
    if (missing.length > 0) {
        report(message(cm.ref, `${where} misses TigerBeetle replica address${missing.length === 1 ? "" : "es"} ${missing.join(", ")} (${listed.length} of ${expected.length} listed)`, item, fix), cm.urn);
    }
    if (extra.length > 0) {
        report(message(cm.ref, `${where} lists address${extra.length === 1 ? "" : "es"} ${extra.join(", ")} that no replica Service of ${describe(tb.ref)} has`, item, fix), cm.urn);
    }
    if (missing.length === 0 && extra.length === 0 && listed.join(",") !== expected.join(",")) {
        report(message(cm.ref, `${where} lists the replica addresses out of replica order`, item, fix), cm.urn);
        return false;
    }
    return missing.length === 0 && extra.length === 0;
}

/** A connector's list read from its ConfigMap: known (an array), unknown during preview, or a problem already reported. */
type Listed = string[] | "unknown" | "reported";

function envList(cm: Located, expectedCount: number, report: Report): Listed {
    const raw = str(get(cm.props, "data", "TIGERBEETLE_REPLICAS"));
    if (raw === undefined) {
        report(message(cm.ref, "has no TIGERBEETLE_REPLICAS", item, `set TIGERBEETLE_REPLICAS to the ${expectedCount} replica Services' addresses`), cm.urn);
        return "reported";
    }
    return isUnknown(raw) ? "unknown" : raw.split(",").map((a) => a.trim()).filter((a) => a !== "");
}

function appSettlement(cm: Located, report: Report): { settlement?: { tigerBeetleReplicas?: unknown; tigerBeetleClusterId?: unknown }; unknown?: true } | undefined {
    const text = str(get(cm.props, "data", "config.yaml"));
    if (isUnknown(text)) {
        return { unknown: true };
    }
    try {
        return { settlement: ((text === undefined ? undefined : yaml.load(text)) as any)?.settlement };
    } catch (e) {
        report(message(cm.ref, `config.yaml does not parse as YAML (${(e as Error).message.split("\n")[0]})`, item, "render config.yaml with a YAML serializer"), cm.urn);
        return undefined;
    }
}

/** Checks the cluster ID a connector map gives against the ledger's identity ConfigMap. */
function compareClusterId(cm: Located, where: string, cid: unknown, identity: Located | undefined, report: Report, fix: string): void {
    const clusterId = str(get(identity?.props, "data", "clusterId"));
    if (clusterId === undefined) {
        return;
    }
    if (isUnknown(clusterId) || isUnknown(cid)) {
        if (isUnknown(cid) && identity !== undefined && derivedFromAll(cm, [identity])) {
            return; // read from the ledger's identity record itself
        }
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
}

const ID_AS_STRING = "write the cluster ID as a string (a 128-bit ID does not fit a JavaScript number)";

/**
 * Seed 000: the connector is configured with every TigerBeetle replica address. Each
 * replica's address is the ClusterIP of a Service of its own (TigerBeetle 0.16 takes IPs
 * only, and a pod IP moves); the connector's ConfigMaps (TIGERBEETLE_REPLICAS and config.yaml's
 * settlement.tigerBeetleReplicas) must list exactly those, in replica order, and the
 * cluster ID must be the ledger's.
 */
export const connectorListsEveryTigerbeetleReplica: StackValidationPolicy = {
    name: "connector-lists-every-tigerbeetle-replica",
    description: "Every TigerBeetle replica has a ClusterIP Service of its own, and the connector's TIGERBEETLE_REPLICAS and config.yaml list exactly those Services' addresses in replica order, with the ledger's cluster ID.",
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
        const tigerbeetles = stackWorkloads(args.resources).filter(isTigerBeetle);
        if (tigerbeetles.length === 0) {
            return args.notApplicable("the stack has no TigerBeetle StatefulSet");
        }
        if (tigerbeetles.length > 1) {
            report(stackMessage(`the stack has ${tigerbeetles.length} TigerBeetle StatefulSets (${tigerbeetles.map((t) => describe(t.ref)).join(", ")}); the connector settles on one`, item, "deploy one TigerBeetle cluster per stack"));
            return;
        }
        const tb = { ...args.resources.find((r) => r.urn === tigerbeetles[0].urn)!, ref: tigerbeetles[0].ref };
        // What the addresses are built from (replica count, namespace) must be known, else the
        // StatefulSet is reported: nothing unknown passes silently.
        const replicas = tigerbeetles[0].replicas;
        if (isUnknown(replicas) || isUnknown(tb.ref.namespace)) {
            const what = isUnknown(replicas) ? "spec.replicas" : "metadata.namespace";
            report(message(tb.ref, `${what} is ${UNKNOWN_TEXT}, so the replica addresses the connector must list are not known`, item, "set it in the manifest (tigerbeetle.replicas, the tier's namespace) so the addresses can be checked"), tb.urn);
            return;
        }
        const configMaps = ofType(args.resources, TYPES.configMap);
        const { expected, services } = replicaAddresses(tb, replicas ?? 1, ofType(args.resources, TYPES.service), report);
        const identity = configMaps.find((c) => sameNamespace(c.ref, tb.ref) && c.ref.name === cfg.identityConfigMap);
        const envMaps = configMaps.filter((c) => c.ref.name === cfg.envConfigMap);
        const appMaps = configMaps.filter((c) => c.ref.name === cfg.appConfigMap);
        if (envMaps.length === 0 && appMaps.length === 0) {
            report(stackMessage(`no connector ConfigMap (${cfg.envConfigMap} or ${cfg.appConfigMap}) lists the replicas of ${describe(tb.ref)}`, item, "give the connector TIGERBEETLE_REPLICAS and config.yaml settlement.tigerBeetleReplicas"));
        }
        const lists: [Located, string, Listed][] = [];
        for (const cm of envMaps) {
            lists.push([cm, "TIGERBEETLE_REPLICAS", envList(cm, replicas ?? 1, report)]);
            compareClusterId(cm, "TIGERBEETLE_CLUSTER_ID", str(get(cm.props, "data", "TIGERBEETLE_CLUSTER_ID")), identity, report, "set TIGERBEETLE_CLUSTER_ID from the TigerBeetle cluster's ID");
        }
        for (const cm of appMaps) {
            const where = "config.yaml settlement.tigerBeetleReplicas";
            const read = appSettlement(cm, report);
            if (read?.unknown) {
                // config.yaml is unknown as a whole (it embeds a generated cluster ID): its list
                // is decided like any unknown list, its cluster ID by its source.
                lists.push([cm, where, "unknown"]);
                compareClusterId(cm, "config.yaml settlement.tigerBeetleClusterId", get(cm.props, "data", "config.yaml"), identity, report, ID_AS_STRING);
            } else if (read) {
                const listed = read.settlement?.tigerBeetleReplicas;
                if (!Array.isArray(listed)) {
                    report(message(cm.ref, "config.yaml has no settlement.tigerBeetleReplicas list", item, `set settlement.tigerBeetleReplicas to the ${replicas ?? 1} replica Services' addresses`), cm.urn);
                }
                lists.push([cm, where, Array.isArray(listed) ? listed.map((a) => String(a)) : "reported"]);
                compareClusterId(cm, "config.yaml settlement.tigerBeetleClusterId", read.settlement?.tigerBeetleClusterId, identity, report, ID_AS_STRING);
            }
        }
        judgeLists(tb, replicas ?? 1, expected, services, lists, report);
    },
};

/**
 * Known lists are compared with the expected addresses. A list unknown during preview passes
 * only when it is computed from every replica Service (the engine's propertyDependencies)
 * and, if another list is known, when that one was checked and is computed the same way. A
 * known list while the ClusterIPs are unknown cannot be theirs. (A provider's preview may
 * show a Service it is about to create with a ClusterIP of a dry run: the program's list is
 * then unknown, and passes on its sources.)
 */
function judgeLists(tb: Located, replicaCount: number, expected: string[] | undefined, services: Located[], lists: [Located, string, Listed][], report: Report): void {
    const verified: Located[] = [];
    for (const [cm, where, listed] of lists) {
        if (!Array.isArray(listed)) {
            continue;
        }
        if (expected === undefined) {
            if (services.length === replicaCount) {
                report(message(cm.ref, `${where} lists ${listed.join(",") || "nothing"}, but the replica Services' ClusterIPs are ${UNKNOWN_TEXT} (allocated when the Services are created), so it cannot be their addresses`, item, "derive the list from the replica Services' spec.clusterIP"), cm.urn);
            }
        } else if (compareList(tb, expected, cm, where, listed, report)) {
            verified.push(cm);
        }
    }
    // With no known list to check (a preview from empty: every list unknown), an unknown list
    // computed from every replica Service stands on that alone; with one, only a checked list
    // computed the same way vouches for the unknown ones.
    const anyKnown = lists.some(([, , listed]) => Array.isArray(listed));
    const vouched = expected === undefined || !anyKnown || verified.some((v) => derivedFromAll(v, services));
    for (const [cm, where, listed] of lists) {
        if (listed === "unknown" && !(vouched && derivedFromAll(cm, services))) {
            report(
                message(cm.ref, `${where} is ${UNKNOWN_TEXT} and not computed from every replica Service of ${describe(tb.ref)} like a checked TIGERBEETLE_REPLICAS, so it is not known to list every replica`, item, "derive it from every replica Service's spec.clusterIP output, in replica order"),
                cm.urn,
            );
        }
    }
}
