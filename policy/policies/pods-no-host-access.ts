import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, containerLabel, message, plain, validateWorkloads } from "../lib";

/** Pods share nothing with the node: no host namespaces, host paths or host ports. */
export const podsNoHostAccess: ResourceValidationPolicy = {
    name: "pods-no-host-access",
    description: "Pods set no hostNetwork, hostPID or hostIPC, mount no hostPath volume and bind no hostPort.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, _args, report) => {
        const item = SECURITY.hostAccess;
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            if (plain(w.podSpec[field]) === true) {
                report(message(w.ref, `pod sets ${field}: true`, item, `remove ${field} from the pod spec`));
            }
        }
        for (const v of (w.podSpec.volumes ?? []) as any[]) {
            if (v?.hostPath) {
                report(message(w.ref, `volume ${v.name} mounts hostPath ${v.hostPath.path}`, item, `replace volume ${v.name} with a PersistentVolumeClaim, emptyDir, ConfigMap or Secret`));
            }
        }
        for (const c of w.containers) {
            for (const p of (c.container.ports ?? []) as any[]) {
                if (p?.hostPort !== undefined && p.hostPort !== 0) {
                    report(message(w.ref, `${containerLabel(c)} binds hostPort ${p.hostPort}`, item, `remove hostPort from ${c.name}; expose it through a ClusterIP Service`));
                }
            }
        }
    }),
};
