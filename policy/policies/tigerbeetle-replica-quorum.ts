import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, isTigerBeetle, message, quorum, str, workloadOf } from "../lib";

interface Config {
    minReplicas: number;
}

/** TigerBeetle replicates by majority quorum: an odd replica count, at least three in production. */
export const tigerbeetleReplicaQuorum: ResourceValidationPolicy = {
    name: "tigerbeetle-replica-quorum",
    description: "The TigerBeetle StatefulSet runs an odd number of replicas, at least minReplicas (3 in prod), and formats each replica for that count.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReplicas: {
                type: "integer",
                minimum: 1,
                default: 3,
                description: "Fewest TigerBeetle replicas allowed (3 in prod survives one failure; 1 for dev).",
            },
        },
    },
    validateResource: validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
        const w = workloadOf(args.type, props, args.urn, args.name);
        if (!w || !isTigerBeetle(w)) {
            return args.notApplicable("applies only to the TigerBeetle StatefulSet");
        }
        const { minReplicas } = configOf<Config>(args, tigerbeetleReplicaQuorum.configSchema!);
        const n = w.replicas ?? 1;
        const item = CHECKLIST.tigerbeetle;
        if (n % 2 === 0) {
            report(
                message(w.ref, `runs ${n} replicas, an even count: a quorum of ${quorum(n)} tolerates no more failures than ${n - 1} replicas would`, item, "set tigerbeetle.replicas to an odd count (3 or 5); the count is fixed when the cluster is formatted"),
            );
        }
        if (n < minReplicas) {
            report(
                message(w.ref, `runs ${n} replica${n === 1 ? "" : "s"}, fewer than the ${minReplicas} required to survive a replica failure`, item, `set tigerbeetle.replicas to an odd count of at least ${minReplicas}`),
            );
        }
        for (const c of w.containers) {
            const env = ((c.container.env ?? []) as any[]).find((e) => e?.name === "REPLICA_COUNT");
            const value = str(env?.value);
            if (value !== undefined && Number(value) !== n) {
                report(
                    message(w.ref, `container ${c.name} formats replicas with REPLICA_COUNT=${value} but spec.replicas is ${n}`, item, "derive REPLICA_COUNT from the same tigerbeetle.replicas value as spec.replicas"),
                );
            }
        }
    }),
};
