import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, NAME_LABEL, TYPES, configOf, hpasTargeting, kindOf, message, ofType, plain, stackWorkloads } from "../lib";

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
        const agents = stackWorkloads(args.resources).filter((w) => kindOf(w.type) === "StatefulSet" && w.podLabels[NAME_LABEL] === cfg.agentLabel);
        if (agents.length === 0) {
            return args.notApplicable("the stack has no agency tenant");
        }
        const hpas = ofType(args.resources, TYPES.hpa);
        for (const a of agents) {
            const mine = hpasTargeting(hpas, a);
            if (mine.length === 0) {
                report(message(a.ref, `tenant namespace ${a.ref.namespace} has no HorizontalPodAutoscaler for it`, item, `add an HPA with scaleTargetRef StatefulSet/${a.ref.name} (agency.hpa)`), a.urn);
            }
            for (const h of mine) {
                const min = Number(plain(h.props.spec?.minReplicas) ?? 1);
                const max = Number(plain(h.props.spec?.maxReplicas));
                if (min < cfg.minReplicas) {
                    report(message(h.ref, `minReplicas is ${min}, below ${cfg.minReplicas}`, item, `set agency.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                }
                if (!(max >= min)) {
                    report(message(h.ref, `maxReplicas (${max}) is below minReplicas (${min})`, item, `set agency.hpa.maxReplicas to at least ${min}`), h.urn);
                }
            }
        }
    },
};
