import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN_TEXT, containerLabel, get, hpaTargets, isUnknown, list, message, num, ofType, parseQuantity, stackWorkloads, str, configOf } from "../lib";

interface Config {
    maxMemoryLimitRequestRatio: number;
    minMemoryUtilization: number;
}

/** The memory utilization target (percent) of an HPA's Resource metrics, if it has one. */
function memoryTarget(hpa: { props: unknown }): number | "unknown" | undefined {
    const metrics = list(get(hpa.props, "spec", "metrics"));
    if (isUnknown(metrics)) {
        return "unknown";
    }
    for (const m of metrics) {
        if (str(get(m, "type")) !== "Resource" || str(get(m, "resource", "name")) !== "memory") {
            continue;
        }
        const target = num(get(m, "resource", "target", "averageUtilization"));
        return isUnknown(target) ? "unknown" : target;
    }
    return undefined;
}

/**
 * An HPA computes memory utilization against the pods' requests. With limits several times
 * the requests, pods normally hold more than their request, utilization sits above any
 * target, and since held memory does not fall when the load does, the HPA scales to its
 * maximum and stays there. Autoscaled pods keep memory limit = request (utilization then
 * never exceeds 100 %), and the target stays high enough (70 % or more) that a pod's normal
 * occupancy is not taken for load: CPU and the workload's own metrics drive the scaling,
 * memory only guards against running out.
 */
export const hpaMemoryTargetsAllowScaleDown: StackValidationPolicy = {
    name: "hpa-memory-targets-allow-scale-down",
    description: "A workload autoscaled on memory utilization has memory limits equal to its requests (ratio ≤ maxMemoryLimitRequestRatio) and a target of at least minMemoryUtilization, so its HPA can scale back down.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxMemoryLimitRequestRatio: { type: "number", minimum: 1, default: 1, description: "Largest memory limit/request ratio of a container in a pod autoscaled on memory." },
            minMemoryUtilization: { type: "integer", minimum: 1, maximum: 100, default: 70, description: "Smallest acceptable memory averageUtilization target (percent)." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, hpaMemoryTargetsAllowScaleDown.configSchema!);
        const item = CHECKLIST.autoscaling;
        const workloads = stackWorkloads(args.resources);
        let applicable = false;
        for (const h of ofType(args.resources, TYPES.hpa)) {
            const target = memoryTarget(h);
            if (target === undefined) {
                continue;
            }
            applicable = true;
            if (target === "unknown") {
                report(message(h.ref, `its memory target is ${UNKNOWN_TEXT}, so it is not known to let the HPA scale down`, item, "write the HPA's metrics in the manifest"), h.urn);
                continue;
            }
            if (target < cfg.minMemoryUtilization) {
                report(message(h.ref, `targets ${target}% memory utilization, below ${cfg.minMemoryUtilization}%: a pod's normal occupancy counts as load, and the HPA does not scale down`, item, `set the memory averageUtilization to ${cfg.minMemoryUtilization} or more (agency.hpa.memoryUtilization, businessLogic.hpa.memoryUtilization)`), h.urn);
            }
            for (const w of workloads.filter((x) => hpaTargets(h, x) === true)) {
                for (const c of w.containers.filter((x) => !x.init)) {
                    const request = parseQuantity(get(c.container, "resources", "requests", "memory"));
                    const limit = parseQuantity(get(c.container, "resources", "limits", "memory"));
                    if (isUnknown(request) || isUnknown(limit)) {
                        report(message(w.ref, `${containerLabel(c)} memory request or limit is ${UNKNOWN_TEXT}, so its ratio is not known`, item, "write the container's memory figures in the manifest"), w.urn);
                    } else if (request !== undefined && limit !== undefined && request > 0 && limit / request > cfg.maxMemoryLimitRequestRatio) {
                        const ratio = Math.round((limit / request) * 100) / 100;
                        report(
                            message(w.ref, `${containerLabel(c)} memory limit is ${ratio}× its request while its HPA targets ${target}% of requests: pods can hold up to ${Math.round(ratio * 100)}%, above the target, and the HPA stays at its maximum`, item, `set the memory limit equal to the request (at most ${cfg.maxMemoryLimitRequestRatio}×) for autoscaled containers`),
                            w.urn,
                        );
                    }
                }
            }
        }
        if (!applicable) {
            return args.notApplicable("no HPA scales on memory utilization");
        }
    },
};
