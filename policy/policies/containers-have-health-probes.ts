import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, configOf, message, validateWorkloads } from "../lib";

interface Config {
    exemptContainers: string[];
}

/** Seed 000: "Business Logic has health checks configured", applied to every long-running container. */
export const containersHaveHealthProbes: ResourceValidationPolicy = {
    name: "containers-have-health-probes",
    description: "Every container of a long-running workload (not Jobs, not init containers) has a liveness and a readiness probe.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptContainers: { type: "array", items: { type: "string" }, default: [], description: "Container names exempt from this policy." },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        if (!w.longRunning) {
            return args.notApplicable("Jobs and CronJobs run to completion");
        }
        const { exemptContainers } = configOf<Config>(args, containersHaveHealthProbes.configSchema!);
        for (const c of w.containers.filter((c) => !c.init && !exemptContainers.includes(c.name))) {
            for (const probe of ["livenessProbe", "readinessProbe"] as const) {
                if (!c.container[probe]) {
                    const what = probe === "livenessProbe" ? "liveness" : "readiness";
                    report(
                        message(w.ref, `container ${c.name} has no ${what} probe`, CHECKLIST.healthChecks, `add a ${probe} to ${c.name} (httpGet on its health endpoint, or tcpSocket on its port)`),
                    );
                }
            }
        }
    }),
};
