import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, ResourceRef, configOf, get, isTigerBeetle, isUnknown, list, message, refOf, str, workloadOf } from "../lib";

interface Config {
    allowZero: boolean;
    identityConfigMap: string;
}

const MAX = (1n << 128n) - 1n;
const FIX = 'set tigerbeetle.clusterId to "generate" (a random 128-bit ID created once) or a fixed non-zero decimal; an existing cluster keeps its ID';

function check(ref: ResourceRef, where: string, value: string | undefined, allowZero: boolean, report: (m: string) => void) {
    const item = CHECKLIST.tigerbeetle;
    if (value === undefined) {
        report(message(ref, `${where} is not set`, item, FIX));
    } else if (!/^[0-9]+$/.test(value) || BigInt(value) > MAX) {
        report(message(ref, `${where} is ${JSON.stringify(value)}, not a 128-bit unsigned decimal`, item, FIX));
    } else if (BigInt(value) === 0n && !allowZero) {
        report(message(ref, `${where} is 0, which upstream reserves for testing`, item, FIX));
    }
}

/** Upstream TigerBeetle: cluster IDs are 128-bit, 0 is reserved for testing, and the ID is immutable. */
export const tigerbeetleClusterIdNonzero: ResourceValidationPolicy = {
    name: "tigerbeetle-cluster-id-nonzero",
    description: "The TigerBeetle cluster ID (identity ConfigMap and CLUSTER_ID env) is a 128-bit decimal and not 0 in prod.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowZero: { type: "boolean", default: false, description: "Allow cluster ID 0 (reserved for testing; dev only)." },
            identityConfigMap: { type: "string", default: "tigerbeetle-cluster", description: "The ConfigMap recording the cluster's identity (data.clusterId)." },
        },
    },
    validateResource: [
        validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, report) => {
            const cfg = configOf<Config>(args, tigerbeetleClusterIdNonzero.configSchema!);
            const name = str(get(props, "metadata", "name"));
            if (isUnknown(name)) {
                return args.notApplicable("metadata.name is unknown during preview; checked again by the update, before the ConfigMap is created");
            }
            if (name !== cfg.identityConfigMap) {
                return args.notApplicable(`applies only to the ${cfg.identityConfigMap} ConfigMap`);
            }
            const clusterId = str(get(props, "data", "clusterId"));
            if (isUnknown(clusterId)) {
                // Unknown during preview: a generated ID (tigerbeetle.clusterId "generate", a
                // 128-bit random.RandomId that the program refuses if it comes out 0). Its value is
                // checked when `pulumi up` runs this policy again on the resolved inputs, before the
                // ConfigMap is created and before any replica formats a data file with it.
                return args.notApplicable("data.clusterId is unknown during preview (a generated ID); checked by the update, before anything is formatted with it");
            }
            check(refOf(args.type, props, args.name), "data.clusterId", clusterId, cfg.allowZero, report);
        }),
        validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
            const w = workloadOf(args.type, props, args.urn, args.name);
            if (!w || !isTigerBeetle(w)) {
                return args.notApplicable("applies only to the TigerBeetle StatefulSet");
            }
            const cfg = configOf<Config>(args, tigerbeetleClusterIdNonzero.configSchema!);
            for (const c of w.containers.filter((c) => !c.init)) {
                const env = list(get(c.container, "env"));
                // An unknown env list, or an unknown CLUSTER_ID value, is judged as the identity
                // ConfigMap's is: by the update, on the resolved inputs, before the StatefulSet is
                // applied and any replica formats its data file.
                const e = (isUnknown(env) ? [] : env).find((x) => str(get(x, "name")) === "CLUSTER_ID");
                const value = str(get(e, "value"));
                if (e !== undefined && get(e, "valueFrom") === undefined && !isUnknown(value)) {
                    check(w.ref, `container ${c.name} env CLUSTER_ID`, value, cfg.allowZero, report);
                }
            }
        }),
    ],
};
