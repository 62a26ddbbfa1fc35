import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, configOf, describe, hpasTargeting, kindOf, message, ofType, plain, stackWorkloads } from "../lib";

interface Config {
    deploymentName: string;
    minReplicas: number;
}

/** Seed 000: "HPA configured for business logic based on traffic", with sane bounds. */
export const businessLogicHasHpa: StackValidationPolicy = {
    name: "business-logic-has-hpa",
    description: "A HorizontalPodAutoscaler targets the business-logic Deployment with minReplicas at least minReplicas (2) and maxReplicas at least minReplicas.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            deploymentName: { type: "string", default: "business-logic", description: "Name of the business logic Deployment." },
            minReplicas: { type: "integer", minimum: 1, default: 2, description: "Smallest acceptable HPA minReplicas." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, businessLogicHasHpa.configSchema!);
        const item = CHECKLIST.autoscaling;
        const targets = stackWorkloads(args.resources).filter((w) => kindOf(w.type) === "Deployment" && w.ref.name === cfg.deploymentName);
        if (targets.length === 0) {
            return args.notApplicable(`the stack has no Deployment ${cfg.deploymentName}`);
        }
        const hpas = ofType(args.resources, TYPES.hpa);
        for (const d of targets) {
            const mine = hpasTargeting(hpas, d);
            if (mine.length === 0) {
                report(message(d.ref, "no HorizontalPodAutoscaler targets it", item, `add an autoscaling/v2 HPA with scaleTargetRef Deployment/${d.ref.name}, minReplicas >= ${cfg.minReplicas} (businessLogic.hpa)`), d.urn);
                continue;
            }
            for (const h of mine) {
                const min = Number(plain(h.props.spec?.minReplicas) ?? 1);
                const max = Number(plain(h.props.spec?.maxReplicas));
                if (min < cfg.minReplicas) {
                    report(message(h.ref, `minReplicas is ${min}; the business logic needs at least ${cfg.minReplicas} to stay available`, item, `set businessLogic.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                }
                if (!(max >= min)) {
                    report(message(h.ref, `maxReplicas (${max}) is below minReplicas (${min})`, item, `set businessLogic.hpa.maxReplicas to at least ${min}`), h.urn);
                }
                if (((h.props.spec?.metrics ?? []) as any[]).length === 0) {
                    report(message(h.ref, `scales ${describe(d.ref)} on no metric`, item, "add cpu and memory utilization metrics (businessLogic.hpa.cpuUtilization, memoryUtilization)"), h.urn);
                }
            }
        }
    },
};
