import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, bool, containerLabel, get, isUnknown, list, message, shown, validateWorkloads } from "../lib";

/** Pods share nothing with the node: no host namespaces, host paths or host ports. */
export const podsNoHostAccess: ResourceValidationPolicy = {
    name: "pods-no-host-access",
    description: "Pods set no hostNetwork, hostPID or hostIPC, mount no hostPath volume and bind no hostPort.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const item = SECURITY.hostAccess;
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            const value = bool(get(w.podSpec, field));
            if (value === true) {
                report(message(w.ref, `pod sets ${field}: true`, item, `remove ${field} from the pod spec`));
            } else if (isUnknown(value)) {
                // Unknown during preview: it may turn out true, so not known-compliant; reported.
                report(message(w.ref, `pod ${field} is ${UNKNOWN_TEXT}, so it may share the node's ${field.slice(4)} namespace`, item, `remove ${field} from the pod spec`));
            }
        }
        const volumes = list(get(w.podSpec, "volumes"));
        if (isUnknown(volumes)) {
            // Unknown volume list: it may hold a hostPath, so not known-compliant; reported.
            report(message(w.ref, `pod volumes are ${UNKNOWN_TEXT}, so they may mount a hostPath`, item, "declare the pod's volumes in the manifest (PersistentVolumeClaim, emptyDir, ConfigMap or Secret)"));
        } else {
            for (const v of volumes) {
                const name = shown(get(v, "name"));
                const hostPath = get(v, "hostPath");
                // A hostPath whose path is unknown is still a hostPath; a volume that is unknown
                // as a whole may be one: both are reported.
                if (hostPath !== undefined || isUnknown(v)) {
                    const what = isUnknown(v) ? `is ${UNKNOWN_TEXT} and may be a hostPath` : `mounts hostPath ${shown(get(hostPath, "path"))}`;
                    report(message(w.ref, `volume ${name} ${what}`, item, `replace volume ${name} with a PersistentVolumeClaim, emptyDir, ConfigMap or Secret`));
                }
            }
        }
        for (const c of w.containers) {
            const ports = list(get(c.container, "ports"));
            for (const p of isUnknown(ports) ? [] : ports) {
                // An unknown hostPort is still a hostPort (only 0 means none), so it is reported.
                const hostPort = get(p, "hostPort");
                if (hostPort !== undefined && hostPort !== 0) {
                    report(message(w.ref, `${containerLabel(c)} binds hostPort ${shown(hostPort)}`, item, `remove hostPort from ${c.name}; expose it through a ClusterIP Service`));
                }
            }
            if (isUnknown(ports)) {
                // Unknown port list: it may bind a hostPort; reported.
                report(message(w.ref, `${containerLabel(c)} ports are ${UNKNOWN_TEXT}, so it may bind a hostPort`, item, `declare ${c.name}'s ports in the manifest without hostPort`));
            }
        }
    }),
};
