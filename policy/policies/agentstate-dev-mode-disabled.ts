import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, configOf, containerLabel, message, refOf, str, validateWorkloads } from "../lib";

interface Config {
    forbidDevMode: boolean;
}

const FIX = 'set DEV_MODE to "false" (the program does so when environment is prod)';

/** Seed 002: production runs with DEV_MODE=false. */
export const agentstateDevModeDisabled: ResourceValidationPolicy = {
    name: "agentstate-dev-mode-disabled",
    description: "In prod no ConfigMap or container env sets AgentState's DEV_MODE to true.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            forbidDevMode: { type: "boolean", default: true, description: "Forbid DEV_MODE=true (prod: true)." },
        },
    },
    validateResource: [
        validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, report) => {
            const { forbidDevMode } = configOf<Config>(args, agentstateDevModeDisabled.configSchema!);
            const value = str(props.data?.DEV_MODE);
            if (!forbidDevMode || value === undefined) {
                return args.notApplicable("no DEV_MODE key, or dev mode allowed by config");
            }
            if (value.toLowerCase() !== "false") {
                report(message(refOf(args.type, props, args.name), `sets DEV_MODE to "${value}"`, SECURITY.agentStateDevMode, FIX));
            }
        }),
        validateWorkloads((w, args, report) => {
            const { forbidDevMode } = configOf<Config>(args, agentstateDevModeDisabled.configSchema!);
            if (!forbidDevMode) {
                return args.notApplicable("dev mode allowed by config");
            }
            for (const c of w.containers) {
                const env = ((c.container.env ?? []) as any[]).find((e) => e?.name === "DEV_MODE");
                const value = str(env?.value);
                if (value !== undefined && value.toLowerCase() !== "false") {
                    report(message(w.ref, `${containerLabel(c)} sets DEV_MODE to "${value}"`, SECURITY.agentStateDevMode, FIX));
                }
            }
        }),
    ],
};
