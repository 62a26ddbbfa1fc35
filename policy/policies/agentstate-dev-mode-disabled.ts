import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, list, message, refOf, str, validateWorkloads } from "../lib";

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
            const value = str(get(props, "data", "DEV_MODE"));
            if (!forbidDevMode || value === undefined) {
                return args.notApplicable("no DEV_MODE key, or dev mode allowed by config");
            }
            // An unknown DEV_MODE may turn out "true": not known to be off, so reported. The
            // program writes it from the environment, a literal; an output here is unexpected.
            if (isUnknown(value)) {
                report(message(refOf(args.type, props, args.name), `DEV_MODE is ${UNKNOWN_TEXT}, so dev mode is not known to be off`, SECURITY.agentStateDevMode, FIX));
            } else if (value.toLowerCase() !== "false") {
                report(message(refOf(args.type, props, args.name), `sets DEV_MODE to "${value}"`, SECURITY.agentStateDevMode, FIX));
            }
        }),
        validateWorkloads((w, args, report) => {
            const { forbidDevMode } = configOf<Config>(args, agentstateDevModeDisabled.configSchema!);
            if (!forbidDevMode) {
                return args.notApplicable("dev mode allowed by config");
            }
            for (const c of w.containers) {
                const env = list(get(c.container, "env"));
                if (isUnknown(env)) {
                    // An unknown env list (or container) may set DEV_MODE=true: not known to be
                    // off, so reported.
                    report(message(w.ref, `${containerLabel(c)} env is ${UNKNOWN_TEXT}, so DEV_MODE is not known to be off`, SECURITY.agentStateDevMode, FIX));
                    continue;
                }
                for (const e of env) {
                    const name = str(get(e, "name"));
                    if (isUnknown(name)) {
                        // A variable whose name is unknown may be DEV_MODE=true; reported.
                        report(message(w.ref, `${containerLabel(c)} has an env variable whose name is ${UNKNOWN_TEXT}, so DEV_MODE is not known to be off`, SECURITY.agentStateDevMode, FIX));
                        continue;
                    }
                    if (name !== "DEV_MODE") {
                        continue;
                    }
                    const value = str(get(e, "value"));
                    if (isUnknown(value)) {
                        // Unknown: may be "true"; not known to be off, so reported.
                        report(message(w.ref, `${containerLabel(c)} DEV_MODE is ${UNKNOWN_TEXT}, so dev mode is not known to be off`, SECURITY.agentStateDevMode, FIX));
                    } else if (value !== undefined && value.toLowerCase() !== "false") {
                        report(message(w.ref, `${containerLabel(c)} sets DEV_MODE to "${value}"`, SECURITY.agentStateDevMode, FIX));
                    }
                }
            }
        }),
    ],
};
