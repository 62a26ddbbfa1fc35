import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, NAME_LABEL, TIGERBEETLE_NAME, TIGERBEETLE_PORT, isTigerBeetle, message, plain, refOf, workloadOf } from "../lib";

const FIX_SERVICE = `keep TigerBeetle Services type ClusterIP (or headless) without nodePort or externalIPs; clients reach port ${TIGERBEETLE_PORT} inside the cluster only`;

/** Seed 003: port 3000 is for the internal network only; never expose it to hosts or outside the cluster. */
export const tigerbeetlePortNotExposed: ResourceValidationPolicy = {
    name: "tigerbeetle-port-not-exposed",
    description: "TigerBeetle's port 3000 stays inside the cluster: its Services are ClusterIP without externalIPs, and its pods bind no hostPort.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(k8s.core.v1.Service, (props, args, report) => {
            const selector = plain<Record<string, string> | undefined>(props.spec?.selector) ?? {};
            if (selector[NAME_LABEL] !== TIGERBEETLE_NAME) {
                return args.notApplicable("applies only to Services selecting TigerBeetle pods");
            }
            const ref = refOf(args.type, props, args.name);
            const type = props.spec?.type ?? "ClusterIP";
            const item = CHECKLIST.tigerbeetle;
            if (type === "NodePort" || type === "LoadBalancer") {
                report(message(ref, `is type ${type}, exposing TigerBeetle outside the cluster`, item, FIX_SERVICE));
            }
            const nodePorts = ((props.spec?.ports ?? []) as any[]).filter((p) => p?.nodePort !== undefined);
            if (nodePorts.length > 0 && type !== "NodePort" && type !== "LoadBalancer") {
                report(message(ref, `sets nodePort on ${nodePorts.map((p) => p.name ?? p.port).join(", ")}`, item, FIX_SERVICE));
            }
            if (((props.spec?.externalIPs ?? []) as any[]).length > 0) {
                report(message(ref, `lists externalIPs ${(props.spec?.externalIPs as string[]).join(", ")}`, item, FIX_SERVICE));
            }
        }),
        validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
            const w = workloadOf(args.type, props, args.urn, args.name);
            if (!w || !isTigerBeetle(w)) {
                return args.notApplicable("applies only to the TigerBeetle StatefulSet");
            }
            for (const c of w.containers) {
                for (const p of (c.container.ports ?? []) as any[]) {
                    if (p?.hostPort !== undefined) {
                        report(message(w.ref, `container ${c.name} binds hostPort ${p.hostPort}, exposing TigerBeetle on the node`, CHECKLIST.tigerbeetle, "remove hostPort from the TigerBeetle container ports"));
                    }
                }
            }
        }),
    ],
};
