import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, configOf, containerLabel, get, isUnknown, message, parseQuantity, shown, validateWorkloads } from "../lib";

interface Config {
    minCpuRequest: string;
    minMemoryRequest: string;
    maxCpuLimit: string;
    maxMemoryLimit: string;
    maxCpuLimitRequestRatio: number;
    maxMemoryLimitRequestRatio: number;
    exemptContainers: string[];
}

/** Seed 000: "Resource requests/limits tuned based on load testing": figures stay within configured bounds. */
export const resourceRequestsWithinBounds: ResourceValidationPolicy = {
    name: "resource-requests-within-bounds",
    description: "Container requests and limits are within the configured bounds: limit at least the request, limit/request ratio capped, requests above a floor and limits below a ceiling.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minCpuRequest: { type: "string", default: "10m", description: "Smallest CPU request (a Kubernetes quantity)." },
            minMemoryRequest: { type: "string", default: "32Mi", description: "Smallest memory request." },
            maxCpuLimit: { type: "string", default: "8", description: "Largest CPU limit." },
            maxMemoryLimit: { type: "string", default: "16Gi", description: "Largest memory limit." },
            maxCpuLimitRequestRatio: { type: "number", minimum: 1, default: 5, description: "Largest CPU limit / request ratio." },
            maxMemoryLimitRequestRatio: { type: "number", minimum: 1, default: 4, description: "Largest memory limit / request ratio." },
            exemptContainers: { type: "array", items: { type: "string" }, default: [], description: "Container names exempt from this policy." },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        const cfg = configOf<Config>(args, resourceRequestsWithinBounds.configSchema!);
        const item = CHECKLIST.resourceBounds;
        const known = (q: Maybe<number> | undefined): number | undefined => (isUnknown(q) ? undefined : q);
        for (const c of w.containers.filter((c) => !cfg.exemptContainers.includes(c.name))) {
            const res = get(c.container, "resources");
            for (const r of ["cpu", "memory"] as const) {
                const reqRaw = shown(get(res, "requests", r));
                const limRaw = shown(get(res, "limits", r));
                // An unknown quantity (or resources block) cannot be compared: the comparisons
                // that need it are skipped in preview and made when `pulumi up` runs this policy
                // again on the resolved inputs, before the workload is applied. Whether requests
                // and limits are set at all is containers-have-resource-limits' rule.
                const req = known(parseQuantity(get(res, "requests", r)));
                const lim = known(parseQuantity(get(res, "limits", r)));
                const min = r === "cpu" ? cfg.minCpuRequest : cfg.minMemoryRequest;
                const max = r === "cpu" ? cfg.maxCpuLimit : cfg.maxMemoryLimit;
                const ratio = r === "cpu" ? cfg.maxCpuLimitRequestRatio : cfg.maxMemoryLimitRequestRatio;
                if (req !== undefined && lim !== undefined && lim < req) {
                    report(message(w.ref, `${containerLabel(c)} ${r} limit ${limRaw} is below its request ${reqRaw}`, item, `raise the ${r} limit of ${c.name} to at least ${reqRaw}`));
                } else if (req !== undefined && lim !== undefined && req > 0 && lim / req > ratio) {
                    report(message(w.ref, `${containerLabel(c)} ${r} limit ${limRaw} is ${(lim / req).toFixed(1)}x its request ${reqRaw}, above the ${ratio}x cap`, item, `raise the ${r} request of ${c.name} or lower its limit to within ${ratio}x`));
                }
                if (req !== undefined && req < (known(parseQuantity(min)) ?? 0)) {
                    report(message(w.ref, `${containerLabel(c)} ${r} request ${reqRaw} is below the floor ${min}`, item, `request at least ${min} ${r} for ${c.name}`));
                }
                if (lim !== undefined && lim > (known(parseQuantity(max)) ?? Infinity)) {
                    report(message(w.ref, `${containerLabel(c)} ${r} limit ${limRaw} is above the ceiling ${max}`, item, `limit ${c.name} to at most ${max} ${r}, or raise maxCpuLimit/maxMemoryLimit in the policy config after load testing`));
                }
            }
        }
    }),
};
