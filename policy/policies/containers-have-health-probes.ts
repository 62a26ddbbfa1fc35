import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, message, validateWorkloads } from "../lib";

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
            if (isUnknown(c.container)) {
                // An unknown container (or container list) is not known to have probes; reported.
                report(message(w.ref, `${containerLabel(c)} is ${UNKNOWN_TEXT}, so its probes are not known`, CHECKLIST.healthChecks, "declare the containers and their liveness and readiness probes in the manifest"));
                continue;
            }
            for (const probe of ["livenessProbe", "readinessProbe"] as const) {
                // An unknown probe is still a probe: the rule asks for its presence.
                const value = get(c.container, probe);
                if (value === undefined || value === null) {
                    const what = probe === "livenessProbe" ? "liveness" : "readiness";
                    report(
                        message(w.ref, `container ${c.name} has no ${what} probe`, CHECKLIST.healthChecks, `add a ${probe} to ${c.name} (httpGet on its health endpoint, or tcpSocket on its port)`),
                    );
                }
            }
        }
    }),
};
