import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, configOf, containerLabel, message, validateWorkloads } from "../lib";

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
            const resources = c.container.resources ?? {};
            const missing = (["requests", "limits"] as const).flatMap((kind) =>
                (["cpu", "memory"] as const).filter((r) => resources[kind]?.[r] === undefined || resources[kind]?.[r] === "").map((r) => `${r} ${kind === "requests" ? "request" : "limit"}`),
            );
            if (missing.length > 0) {
                report(
                    message(w.ref, `${containerLabel(c)} has no ${missing.join(", ")}`, CHECKLIST.resourceLimits, `set resources.requests and resources.limits (cpu and memory) on ${c.name}, e.g. through the tier's resources config`),
                );
            }
        }
    }),
};
