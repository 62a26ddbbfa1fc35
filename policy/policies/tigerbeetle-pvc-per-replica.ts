import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, isTigerBeetle, message, plain, workloadOf } from "../lib";

interface Config {
    dataMountPath: string;
}

/** Every TigerBeetle replica keeps its data file on its own PersistentVolumeClaim, retained on delete and scale-down. */
export const tigerbeetlePvcPerReplica: ResourceValidationPolicy = {
    name: "tigerbeetle-pvc-per-replica",
    description: "The TigerBeetle StatefulSet mounts its data directory from a volumeClaimTemplate (one PVC per replica) that requests storage and is retained.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            dataMountPath: {
                type: "string",
                default: "/data",
                description: "Where the TigerBeetle container keeps its data file.",
            },
        },
    },
    validateResource: validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
        const w = workloadOf(args.type, props, args.urn, args.name);
        if (!w || !isTigerBeetle(w)) {
            return args.notApplicable("applies only to the TigerBeetle StatefulSet");
        }
        const { dataMountPath } = configOf<Config>(args, tigerbeetlePvcPerReplica.configSchema!);
        const item = CHECKLIST.tigerbeetle;
        const templates = (plain<any[]>(props.spec?.volumeClaimTemplates) ?? []) as any[];
        const claimNames = new Set(templates.map((t) => t?.metadata?.name));
        if (templates.length === 0) {
            report(message(w.ref, "has no volumeClaimTemplates, so replicas keep the ledger on ephemeral storage", item, `add a volumeClaimTemplate (e.g. data) and mount it at ${dataMountPath}`));
        }
        for (const t of templates) {
            if (!t?.spec?.resources?.requests?.storage) {
                report(message(w.ref, `volumeClaimTemplate ${t?.metadata?.name} requests no storage`, item, "set spec.resources.requests.storage on the claim template (tigerbeetle.storage)"));
            }
        }
        for (const c of w.containers.filter((c) => !c.init)) {
            const mount = ((c.container.volumeMounts ?? []) as any[]).find((m) => m?.mountPath === dataMountPath);
            if (!mount) {
                report(message(w.ref, `container ${c.name} mounts nothing at ${dataMountPath}, where the data file lives`, item, `mount the volumeClaimTemplate at ${dataMountPath}`));
            } else if (!claimNames.has(mount.name)) {
                const volume = ((w.podSpec.volumes ?? []) as any[]).find((v) => v?.name === mount.name);
                const source = volume ? Object.keys(volume).filter((k) => k !== "name").join(", ") : "an undeclared volume";
                report(message(w.ref, `container ${c.name} mounts ${dataMountPath} from pod volume ${mount.name} (${source}), not from a claim per replica`, item, `mount a volumeClaimTemplate at ${dataMountPath} instead of a pod volume`));
            }
        }
        const retention = props.spec?.persistentVolumeClaimRetentionPolicy ?? {};
        for (const when of ["whenDeleted", "whenScaled"] as const) {
            if (retention[when] === "Delete") {
                report(message(w.ref, `persistentVolumeClaimRetentionPolicy.${when} is Delete, which destroys ledger data`, item, `set persistentVolumeClaimRetentionPolicy.${when} to Retain`));
            }
        }
    }),
};
