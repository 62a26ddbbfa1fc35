import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, configOf, containerLabel, message, validateWorkloads } from "../lib";

interface Config {
    allowedCapabilities: string[];
}

/** Pod Security "restricted": drop ALL capabilities, add none beyond an explicit allow list. */
export const containersDropAllCapabilities: ResourceValidationPolicy = {
    name: "containers-drop-all-capabilities",
    description: "Every container drops ALL capabilities and adds none outside allowedCapabilities.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedCapabilities: { type: "array", items: { type: "string" }, default: [], description: "Capabilities a container may add back (e.g. NET_BIND_SERVICE)." },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        const { allowedCapabilities } = configOf<Config>(args, containersDropAllCapabilities.configSchema!);
        for (const c of w.containers) {
            const caps = c.container.securityContext?.capabilities ?? {};
            const drop = ((caps.drop ?? []) as string[]).map((d) => String(d).toUpperCase());
            if (!drop.includes("ALL")) {
                report(message(w.ref, `${containerLabel(c)} does not drop ALL capabilities`, SECURITY.capabilities, `set securityContext.capabilities.drop: [ALL] on ${c.name}`));
            }
            const added = ((caps.add ?? []) as string[]).filter((a) => !allowedCapabilities.map((x) => x.toUpperCase()).includes(String(a).toUpperCase()));
            if (added.length > 0) {
                report(message(w.ref, `${containerLabel(c)} adds capabilities ${added.join(", ")}`, SECURITY.capabilities, `remove capabilities.add from ${c.name}, or list the capability in allowedCapabilities after review`));
            }
        }
    }),
};
