import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, get, isTigerBeetle, isUnknown, keys, list, message, shown, str, workloadOf } from "../lib";

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
        const templates = list(get(props, "spec", "volumeClaimTemplates"));
        // Unknown during preview, anything this rule needs (the claim templates, a template, the
        // data mount, the retention policy) leaves the ledger's storage not known to be one
        // retained claim per replica: reported, never assumed. An unknown storage *quantity* is
        // still a request, which is what is asked (the figure is tigerbeetle.storage's).
        if (isUnknown(templates)) {
            report(message(w.ref, `spec.volumeClaimTemplates is ${UNKNOWN_TEXT}, so the replicas are not known to keep the ledger on a claim each`, item, `declare the volumeClaimTemplate (e.g. data) in the manifest and mount it at ${dataMountPath}`));
        }
        const claimNames = new Set(isUnknown(templates) ? [] : templates.map((t) => str(get(t, "metadata", "name"))).filter((n): n is string => typeof n === "string"));
        const claimNameUnknown = isUnknown(templates) || templates.some((t) => isUnknown(str(get(t, "metadata", "name"))));
        if (!isUnknown(templates) && templates.length === 0) {
            report(message(w.ref, "has no volumeClaimTemplates, so replicas keep the ledger on ephemeral storage", item, `add a volumeClaimTemplate (e.g. data) and mount it at ${dataMountPath}`));
        }
        for (const t of isUnknown(templates) ? [] : templates) {
            const storage = get(t, "spec", "resources", "requests", "storage");
            if (!isUnknown(storage) && !storage) {
                report(message(w.ref, `volumeClaimTemplate ${shown(get(t, "metadata", "name"))} requests no storage`, item, "set spec.resources.requests.storage on the claim template (tigerbeetle.storage)"));
            }
        }
        for (const c of w.containers.filter((c) => !c.init)) {
            const mounts = list(get(c.container, "volumeMounts"));
            if (isUnknown(mounts)) {
                report(message(w.ref, `container ${c.name} volume mounts are ${UNKNOWN_TEXT}, so ${dataMountPath} is not known to be on a claim`, item, `mount the volumeClaimTemplate at ${dataMountPath}`));
                continue;
            }
            const atData = mounts.filter((m) => str(get(m, "mountPath")) === dataMountPath);
            const pathUnknown = mounts.some((m) => isUnknown(str(get(m, "mountPath"))));
            const mount = atData[0];
            const name = str(get(mount, "name"));
            if (mount === undefined) {
                const problem = pathUnknown ? `mounts volumes at paths ${UNKNOWN_TEXT}, so ${dataMountPath}, where the data file lives, is not known to be mounted` : `mounts nothing at ${dataMountPath}, where the data file lives`;
                report(message(w.ref, `container ${c.name} ${problem}`, item, `mount the volumeClaimTemplate at ${dataMountPath}`));
                continue;
            }
            const mountName = isUnknown(name) ? undefined : (name ?? "");
            if (mountName === undefined || (claimNameUnknown && !claimNames.has(mountName))) {
                report(message(w.ref, `container ${c.name} mounts ${dataMountPath} from a volume not known to be a claim template (names ${UNKNOWN_TEXT})`, item, `mount a volumeClaimTemplate at ${dataMountPath} instead of a pod volume`));
            } else if (!claimNames.has(mountName)) {
                const volumes = list(get(w.podSpec, "volumes"));
                const volume = isUnknown(volumes) ? undefined : volumes.find((v) => str(get(v, "name")) === mountName);
                const volumeKeys = keys(volume);
                const source = volume === undefined ? (isUnknown(volumes) ? `a volume ${UNKNOWN_TEXT}` : "an undeclared volume") : isUnknown(volumeKeys) ? UNKNOWN_TEXT : volumeKeys.filter((k) => k !== "name").join(", ");
                report(message(w.ref, `container ${c.name} mounts ${dataMountPath} from pod volume ${mountName} (${source}), not from a claim per replica`, item, `mount a volumeClaimTemplate at ${dataMountPath} instead of a pod volume`));
            }
        }
        const retention = get(props, "spec", "persistentVolumeClaimRetentionPolicy");
        for (const when of ["whenDeleted", "whenScaled"] as const) {
            const value = str(get(retention, when));
            if (value === "Delete" || isUnknown(value)) {
                report(message(w.ref, `persistentVolumeClaimRetentionPolicy.${when} is ${isUnknown(value) ? `${UNKNOWN_TEXT}, so it may be Delete, which destroys ledger data` : "Delete, which destroys ledger data"}`, item, `set persistentVolumeClaimRetentionPolicy.${when} to Retain`));
            }
        }
    }),
};
