import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, message, refOf } from "../lib";

interface Config {
    requireTls: boolean;
}

/** Every public host terminates TLS in production. */
export const ingressRequiresTls: ResourceValidationPolicy = {
    name: "ingress-requires-tls",
    description: "Every host of every Ingress is covered by a spec.tls entry with a secretName (required in prod).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireTls: { type: "boolean", default: true, description: "Require TLS on every Ingress host (prod: true)." },
        },
    },
    validateResource: validateResourceOfType(k8s.networking.v1.Ingress, (props, args, report) => {
        const { requireTls } = configOf<Config>(args, ingressRequiresTls.configSchema!);
        if (!requireTls) {
            return args.notApplicable("TLS is not required by this stack's policy config");
        }
        const ref = refOf(args.type, props, args.name);
        const item = CHECKLIST.ingress;
        const fix = "set ingress.tls.clusterIssuer (cert-manager) or ingress.tls.secretName so every host gets a spec.tls entry";
        const tls = (props.spec?.tls ?? []) as any[];
        const hosts = [...new Set(((props.spec?.rules ?? []) as any[]).map((r) => r?.host ?? "*"))];
        if (tls.length === 0) {
            report(message(ref, `serves ${hosts.join(", ")} without TLS`, item, fix));
            return;
        }
        const covered = new Set(tls.flatMap((t) => (t?.hosts ?? []) as string[]));
        const uncovered = hosts.filter((h) => !covered.has(h));
        if (uncovered.length > 0) {
            report(message(ref, `host${uncovered.length === 1 ? "" : "s"} ${uncovered.join(", ")} ha${uncovered.length === 1 ? "s" : "ve"} no TLS entry`, item, fix));
        }
        for (const t of tls.filter((t) => !t?.secretName)) {
            report(message(ref, `TLS entry for ${((t?.hosts ?? []) as string[]).join(", ") || "all hosts"} names no secretName`, item, "name the certificate Secret in spec.tls[].secretName"));
        }
    }),
};
