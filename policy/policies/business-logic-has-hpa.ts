import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN_TEXT, configOf, describe, get, hpaTargets, isUnknown, kindOf, list, message, num, ofType, stackWorkloads } from "../lib";

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
            const mine = hpas.filter((h) => hpaTargets(h, d) === true);
            if (mine.length === 0) {
                // An HPA whose scaleTargetRef or namespace is unknown during preview is not known
                // to scale the business logic: it is not counted, and the Deployment is reported.
                const maybe = hpas.filter((h) => isUnknown(hpaTargets(h, d)));
                const problem = maybe.length > 0 ? `no HorizontalPodAutoscaler is known to target it (the target of ${maybe.map((h) => describe(h.ref)).join(", ")} is ${UNKNOWN_TEXT})` : "no HorizontalPodAutoscaler targets it";
                report(message(d.ref, problem, item, `add an autoscaling/v2 HPA with scaleTargetRef Deployment/${d.ref.name}, minReplicas >= ${cfg.minReplicas} (businessLogic.hpa)`), d.urn);
                continue;
            }
            for (const h of mine) {
                const min = num(get(h.props, "spec", "minReplicas")) ?? 1;
                const max = num(get(h.props, "spec", "maxReplicas")) ?? NaN;
                // Unknown bounds are not known to keep the business logic available or able to
                // scale: each unknown bound is reported, and the comparison needing it is skipped.
                if (isUnknown(min)) {
                    report(message(h.ref, `minReplicas is ${UNKNOWN_TEXT}, so it is not known to be at least ${cfg.minReplicas}`, item, `set businessLogic.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                } else if (min < cfg.minReplicas) {
                    report(message(h.ref, `minReplicas is ${min}; the business logic needs at least ${cfg.minReplicas} to stay available`, item, `set businessLogic.hpa.minReplicas to ${cfg.minReplicas} or more`), h.urn);
                }
                if (isUnknown(max)) {
                    report(message(h.ref, `maxReplicas is ${UNKNOWN_TEXT}, so it is not known to be at least minReplicas`, item, `set businessLogic.hpa.maxReplicas to at least ${isUnknown(min) ? cfg.minReplicas : min}`), h.urn);
                } else if (!isUnknown(min) && !(max >= min)) {
                    report(message(h.ref, `maxReplicas (${max}) is below minReplicas (${min})`, item, `set businessLogic.hpa.maxReplicas to at least ${min}`), h.urn);
                }
                const metrics = list(get(h.props, "spec", "metrics"));
                // An unknown metrics list may be empty: not known to scale on a metric; reported.
                if (isUnknown(metrics) || metrics.length === 0) {
                    report(message(h.ref, `scales ${describe(d.ref)} on ${isUnknown(metrics) ? `metrics ${UNKNOWN_TEXT}` : "no metric"}`, item, "add cpu and memory utilization metrics (businessLogic.hpa.cpuUtilization, memoryUtilization)"), h.urn);
                }
            }
        }
    },
};
