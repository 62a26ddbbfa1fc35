import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, configOf, get, isUnknown, list, message, refOf, str, workloadOf } from "../lib";

interface Config {
    requireTls: boolean;
    configMapName: string;
    statefulSetName: string;
}

/** Seed 002: AgentState runs with TLS enabled (TLS_CERT_FILE/TLS_KEY_FILE from a TLS Secret). */
export const agentstateServesTls: ResourceValidationPolicy = {
    name: "agentstate-serves-tls",
    description: "In prod AgentState's config sets TLS_CERT_FILE and TLS_KEY_FILE and its StatefulSet mounts a Secret volume holding them.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireTls: { type: "boolean", default: true, description: "Require AgentState to serve TLS (prod: true)." },
            configMapName: { type: "string", default: "agentstate-config", description: "AgentState's env ConfigMap." },
            statefulSetName: { type: "string", default: "agentstate", description: "AgentState's StatefulSet." },
        },
    },
    validateResource: [
        validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, report) => {
            const cfg = configOf<Config>(args, agentstateServesTls.configSchema!);
            const name = str(get(props, "metadata", "name"));
            if (isUnknown(name)) {
                // Which ConfigMap this is is unknown during preview; `pulumi up` runs this policy
                // again on the resolved name before the ConfigMap is created.
                return args.notApplicable("metadata.name is unknown during preview; checked again by the update");
            }
            if (!cfg.requireTls || name !== cfg.configMapName) {
                return args.notApplicable(`applies only to ${cfg.configMapName} when TLS is required`);
            }
            for (const key of ["TLS_CERT_FILE", "TLS_KEY_FILE"]) {
                // An unknown path is still set: the rule asks that AgentState be given one.
                const value = str(get(props, "data", key));
                if (!isUnknown(value) && !value) {
                    report(message(refOf(args.type, props, args.name), `sets no ${key}, so AgentState serves plain HTTP`, SECURITY.agentStateTls, "set agentState.tls.mode to certManager (with issuer) or secret (with secretName)"));
                }
            }
        }),
        validateResourceOfType(k8s.apps.v1.StatefulSet, (props, args, report) => {
            const cfg = configOf<Config>(args, agentstateServesTls.configSchema!);
            const w = workloadOf(args.type, props, args.urn, args.name);
            if (!w || !cfg.requireTls || w.ref.name !== cfg.statefulSetName) {
                return args.notApplicable(`applies only to the ${cfg.statefulSetName} StatefulSet when TLS is required`);
            }
            const volumes = list(get(w.podSpec, "volumes"));
            // A Secret volume whose secretName is unknown still mounts a Secret; a volume list, a
            // volume, a name or a mount list that is unknown leaves the TLS mount unproven, and
            // then the StatefulSet is not known-compliant: it is reported below.
            const secretVolumes = new Set(
                (isUnknown(volumes) ? [] : volumes).filter((v) => get(v, "secret", "secretName") !== undefined).map((v) => str(get(v, "name"))).filter((n) => typeof n === "string"),
            );
            const mounted = w.containers.some((c) => {
                const mounts = list(get(c.container, "volumeMounts"));
                return !isUnknown(mounts) && mounts.some((m) => {
                    const n = str(get(m, "name"));
                    return typeof n === "string" && secretVolumes.has(n);
                });
            });
            if (!mounted) {
                const unknown = isUnknown(volumes) || w.containers.some((c) => isUnknown(list(get(c.container, "volumeMounts"))));
                report(message(w.ref, unknown ? `its volumes or volume mounts are ${UNKNOWN_TEXT}, so the TLS Secret mount is not known` : "mounts no Secret volume with the TLS certificate and key", SECURITY.agentStateTls, "set agentState.tls.mode to certManager or secret so the TLS Secret is mounted at /tls"));
            }
        }),
    ],
};
