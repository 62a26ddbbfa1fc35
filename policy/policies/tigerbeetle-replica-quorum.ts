import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, get, isTigerBeetle, isUnknown, list, message, quorum, str, workloadOf } from "../lib";

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
        const item = CHECKLIST.tigerbeetle;
        const n = w.replicas ?? 1;
        if (isUnknown(n)) {
            // An unknown replica count must not pass: the count is fixed when the cluster is
            // formatted and decides the quorum, and an unknown one is not known to be odd or at
            // least minReplicas. Reported; the program takes it from tigerbeetle.replicas, a literal.
            report(message(w.ref, `spec.replicas is ${UNKNOWN_TEXT}, so the replica count is not known to be odd and at least ${minReplicas}`, item, `set tigerbeetle.replicas to an odd count of at least ${minReplicas}; the count is fixed when the cluster is formatted`));
        } else {
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
        }
        for (const c of w.containers) {
            const env = list(get(c.container, "env"));
            // An unknown env list (or container) may hold a REPLICA_COUNT that differs from
            // spec.replicas, which formats the data file for the wrong cluster size: reported.
            if (isUnknown(env)) {
                report(message(w.ref, `container ${c.name} env is ${UNKNOWN_TEXT}, so REPLICA_COUNT is not known to match spec.replicas`, item, "derive REPLICA_COUNT from the same tigerbeetle.replicas value as spec.replicas"));
                continue;
            }
            for (const e of env) {
                const name = str(get(e, "name"));
                if (name !== "REPLICA_COUNT" && !isUnknown(name)) {
                    continue;
                }
                const value = str(get(e, "value"));
                if (isUnknown(name) || isUnknown(value)) {
                    // Unknown: the formatted replica count is not known to match spec.replicas; reported.
                    report(message(w.ref, `container ${c.name} ${isUnknown(name) ? "has an env variable whose name" : "REPLICA_COUNT"} is ${UNKNOWN_TEXT}, so the count it formats replicas with is not known to match spec.replicas`, item, "derive REPLICA_COUNT from the same tigerbeetle.replicas value as spec.replicas"));
                } else if (value !== undefined && !isUnknown(n) && Number(value) !== n) {
                    report(
                        message(w.ref, `container ${c.name} formats replicas with REPLICA_COUNT=${value} but spec.replicas is ${n}`, item, "derive REPLICA_COUNT from the same tigerbeetle.replicas value as spec.replicas"),
                    );
                }
            }
        }
    }),
};
