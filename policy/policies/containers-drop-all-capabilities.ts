import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, list, message, str, validateWorkloads } from "../lib";

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
        const allowed = allowedCapabilities.map((x) => x.toUpperCase());
        for (const c of w.containers) {
            const caps = get(c.container, "securityContext", "capabilities");
            const drop = list(get(caps, "drop"));
            const dropped = isUnknown(drop) ? [] : drop.map((d) => str(d));
            // An unknown drop list, or an unknown entry where ALL is not otherwise listed, is not
            // known to drop ALL: not known-compliant, so reported (capabilities are literals).
            if (!dropped.some((d) => typeof d === "string" && d.toUpperCase() === "ALL")) {
                const unknown = isUnknown(drop) || dropped.some(isUnknown);
                report(message(w.ref, `${containerLabel(c)} ${unknown ? `capabilities.drop is ${UNKNOWN_TEXT}, so it is not known to drop ALL` : "does not drop ALL capabilities"}`, SECURITY.capabilities, `set securityContext.capabilities.drop: [ALL] on ${c.name}`));
            }
            const add = list(get(caps, "add"));
            // An unknown add list, or an unknown entry, may add anything: reported as added.
            const added = isUnknown(add) ? ["<unknown>"] : add.map((a) => str(a)).flatMap((a) => (isUnknown(a) ? ["<unknown>"] : typeof a === "string" && !allowed.includes(a.toUpperCase()) ? [a] : []));
            if (added.length > 0) {
                report(message(w.ref, `${containerLabel(c)} adds capabilities ${added.join(", ")}`, SECURITY.capabilities, `remove capabilities.add from ${c.name}, or list the capability in allowedCapabilities after review`));
            }
        }
    }),
};
