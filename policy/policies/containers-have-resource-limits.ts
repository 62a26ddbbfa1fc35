import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, message, validateWorkloads } from "../lib";

interface Config {
    exemptContainers: string[];
}

/** Seed 000: "Agent Runtime deployed with proper resource limits", applied to every container. */
export const containersHaveResourceLimits: ResourceValidationPolicy = {
    name: "containers-have-resource-limits",
    description: "Every container and init container of every workload sets CPU and memory requests and limits.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptContainers: { type: "array", items: { type: "string" }, default: [], description: "Container names exempt from this policy." },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        const { exemptContainers } = configOf<Config>(args, containersHaveResourceLimits.configSchema!);
        for (const c of w.containers) {
            if (exemptContainers.includes(c.name)) {
                continue;
            }
            const resources = get(c.container, "resources");
            if (isUnknown(resources)) {
                // The whole resources block (or the container) is unknown during preview: which
                // requests and limits it sets is not known, so it is not known-compliant; reported.
                report(message(w.ref, `${containerLabel(c)} resources are ${UNKNOWN_TEXT}, so its requests and limits are not known to be set`, CHECKLIST.resourceLimits, `set resources.requests and resources.limits (cpu and memory) on ${c.name} in the manifest`));
                continue;
            }
            // An unknown quantity is still set: this rule is about presence, and the bounds
            // policy (resource-requests-within-bounds) judges the figures.
            const missing = (["requests", "limits"] as const).flatMap((kind) =>
                (["cpu", "memory"] as const).filter((r) => get(resources, kind, r) === undefined || get(resources, kind, r) === "").map((r) => `${r} ${kind === "requests" ? "request" : "limit"}`),
            );
            if (missing.length > 0) {
                report(
                    message(w.ref, `${containerLabel(c)} has no ${missing.join(", ")}`, CHECKLIST.resourceLimits, `set resources.requests and resources.limits (cpu and memory) on ${c.name}, e.g. through the tier's resources config`),
                );
            }
        }
    }),
};
