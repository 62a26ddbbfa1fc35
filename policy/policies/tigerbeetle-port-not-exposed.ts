import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, NAME_LABEL, TIGERBEETLE_NAME, TIGERBEETLE_PORT, UNKNOWN_TEXT, get, isTigerBeetle, isUnknown, list, message, refOf, shown, str, workloadOf } from "../lib";

const FIX_SERVICE = `keep TigerBeetle Services type ClusterIP (or headless) without nodePort or externalIPs; clients reach port ${TIGERBEETLE_PORT} inside the cluster only`;

/** Seed 003: port 3000 is for the internal network only; never expose it to hosts or outside the cluster. */
export const tigerbeetlePortNotExposed: ResourceValidationPolicy = {
    name: "tigerbeetle-port-not-exposed",
    description: "TigerBeetle's port 3000 stays inside the cluster: its Services are ClusterIP without externalIPs, and its pods bind no hostPort.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(k8s.core.v1.Service, (props, args, report) => {
            const selected = str(get(props, "spec", "selector", NAME_LABEL));
            // An unknown selector (or name label) may select TigerBeetle: the Service is checked
            // as if it did, the safe side; a ClusterIP Service without externalIPs passes anyway.
            if (!isUnknown(selected) && selected !== TIGERBEETLE_NAME) {
                return args.notApplicable("applies only to Services selecting TigerBeetle pods");
            }
            const ref = refOf(args.type, props, args.name);
            const maybe = isUnknown(selected) ? ` (its selector is ${UNKNOWN_TEXT} and may select TigerBeetle)` : "";
            const type = str(get(props, "spec", "type")) ?? "ClusterIP";
            const item = CHECKLIST.tigerbeetle;
            if (isUnknown(type)) {
                // An unknown type may be NodePort or LoadBalancer: not known to stay internal; reported.
                report(message(ref, `spec.type is ${UNKNOWN_TEXT}, so it may expose TigerBeetle outside the cluster${maybe}`, item, FIX_SERVICE));
            } else if (type === "NodePort" || type === "LoadBalancer") {
                report(message(ref, `is type ${type}, exposing TigerBeetle outside the cluster${maybe}`, item, FIX_SERVICE));
            }
            const ports = list(get(props, "spec", "ports"));
            // A nodePort whose number is unknown is still set; an unknown port list may set one.
            const nodePorts = isUnknown(ports) ? [] : ports.filter((p) => isUnknown(p) || get(p, "nodePort") !== undefined);
            if ((isUnknown(ports) || nodePorts.length > 0) && type !== "NodePort" && type !== "LoadBalancer") {
                const which = isUnknown(ports) ? `its ports (${UNKNOWN_TEXT})` : nodePorts.map((p) => shown(get(p, "name") ?? get(p, "port"))).join(", ");
                report(message(ref, `sets nodePort on ${which}${maybe}`, item, FIX_SERVICE));
            }
            const externalIPs = list(get(props, "spec", "externalIPs"));
            if (isUnknown(externalIPs) || externalIPs.length > 0) {
                report(message(ref, `lists externalIPs ${isUnknown(externalIPs) ? `(${UNKNOWN_TEXT})` : externalIPs.map(shown).join(", ")}${maybe}`, item, FIX_SERVICE));
            }
        }),
        validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
            const w = workloadOf(args.type, props, args.urn, args.name);
            if (!w || !isTigerBeetle(w)) {
                return args.notApplicable("applies only to the TigerBeetle StatefulSet");
            }
            for (const c of w.containers) {
                const ports = list(get(c.container, "ports"));
                if (isUnknown(ports)) {
                    // An unknown port list may bind a hostPort: not known-compliant; reported.
                    report(message(w.ref, `container ${c.name} ports are ${UNKNOWN_TEXT}, so it may bind a hostPort`, CHECKLIST.tigerbeetle, "declare the TigerBeetle container ports in the manifest, without hostPort"));
                    continue;
                }
                for (const p of ports) {
                    // An unknown hostPort is still a hostPort: reported.
                    const hostPort = get(p, "hostPort");
                    if (hostPort !== undefined) {
                        report(message(w.ref, `container ${c.name} binds hostPort ${shown(hostPort)}, exposing TigerBeetle on the node`, CHECKLIST.tigerbeetle, "remove hostPort from the TigerBeetle container ports"));
                    }
                }
            }
        }),
    ],
};
