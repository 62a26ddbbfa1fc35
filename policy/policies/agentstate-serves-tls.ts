import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, configOf, message, refOf, str, workloadOf } from "../lib";

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
            if (!cfg.requireTls || props.metadata?.name !== cfg.configMapName) {
                return args.notApplicable(`applies only to ${cfg.configMapName} when TLS is required`);
            }
            for (const key of ["TLS_CERT_FILE", "TLS_KEY_FILE"]) {
                if (!str(props.data?.[key])) {
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
            const secretVolumes = new Set(((w.podSpec.volumes ?? []) as any[]).filter((v) => v?.secret?.secretName).map((v) => v.name));
            const mounted = w.containers.some((c) => ((c.container.volumeMounts ?? []) as any[]).some((m) => secretVolumes.has(m?.name)));
            if (!mounted) {
                report(message(w.ref, "mounts no Secret volume with the TLS certificate and key", SECURITY.agentStateTls, "set agentState.tls.mode to certManager or secret so the TLS Secret is mounted at /tls"));
            }
        }),
    ],
};
