import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, NAME_LABEL, TYPES, UNKNOWN_TEXT, configOf, describe, get, hpaTargets, isUnknown, kindOf, labelValue, message, num, ofType, shown, stackWorkloads } from "../lib";

interface Config {
    agentLabel: string;
    minReplicas: number;
}

/** Seed 004: every agency tenant's agent StatefulSet scales with an HPA (1 to 5 replicas by default). */
export const agencyTenantsHaveHpa: StackValidationPolicy = {
    name: "agency-tenants-have-hpa",
    description: "Every agency tenant's agent StatefulSet (app.kubernetes.io/name=agency-agent) has an HPA targeting it with maxReplicas at least minReplicas.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            agentLabel: { type: "string", default: "agency-agent", description: "app.kubernetes.io/name of the tenants' agent StatefulSets." },
            minReplicas: { type: "integer", minimum: 1, default: 1, description: "Smallest acceptable HPA minReplicas." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, agencyTenantsHaveHpa.configSchema!);
        const item = CHECKLIST.autoscaling;
        // Tenants are recognised by their known name label; a StatefulSet whose label is unknown
        // during preview is not taken for one (the program labels every workload literally).
        const agents = stackWorkloads(args.resources).filter((w) => kindOf(w.type) === "StatefulSet" && labelValue(w.podLabels, NAME_LABEL) === cfg.agentLabel);
        if (agents.length === 0) {
            return args.notApplicable("the stack has no agency tenant");
        }
        const hpas = ofType(args.resources, TYPES.hpa);
        for (const a of agents) {
            const mine = hpas.filter((h) => hpaTargets(h, a) === true);
            if (mine.length === 0) {
                // An HPA whose scaleTargetRef or namespace is unknown is not known to scale the
                // tenant: not counted, and the tenant is reported.
                const maybe = hpas.filter((h) => isUnknown(hpaTargets(h, a)));
                const unknown = maybe.length > 0 ? ` known to target it (the target of ${maybe.map((h) => describe(h.ref)).join(", ")} is ${UNKNOWN_TEXT})` : " for it";
                report(message(a.ref, `tenant namespace ${shown(a.ref.namespace)} has no HorizontalPodAutoscaler${unknown}`, item, `add an HPA with scaleTargetRef StatefulSet/${a.ref.name} (agency.hpa)`), a.urn);
            }
            for (const h of mine) {
                const min = num(get(h.props, "spec", "minReplicas")) ?? 1;
                const max = num(get(h.props, "spec", "maxReplicas")) ?? NaN;
                // Unknown bounds are not known to be sane: each is reported, its comparison skipped.
                if (isUnknown(min)) {
                    report(message(h.ref, `minReplicas is ${UNKNOWN_TEXT}, so it is not known to be at least ${cfg.minReplicas}`, item, `set agency.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                } else if (min < cfg.minReplicas) {
                    report(message(h.ref, `minReplicas is ${min}, below ${cfg.minReplicas}`, item, `set agency.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                }
                if (isUnknown(max)) {
                    report(message(h.ref, `maxReplicas is ${UNKNOWN_TEXT}, so it is not known to be at least minReplicas`, item, `set agency.hpa.maxReplicas to at least ${isUnknown(min) ? cfg.minReplicas : min}`), h.urn);
                } else if (!isUnknown(min) && !(max >= min)) {
                    report(message(h.ref, `maxReplicas (${max}) is below minReplicas (${min})`, item, `set agency.hpa.maxReplicas to at least ${min}`), h.urn);
                }
            }
        }
    },
};
