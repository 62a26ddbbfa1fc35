import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, get, isUnknown, list, message, refOf, str } from "../lib";

interface Config {
    requireTls: boolean;
}

/** Every public host terminates TLS in production. */
export const ingressRequiresTls: ResourceValidationPolicy = {
    name: "ingress-requires-tls",
    description: "Every host of every Ingress is covered by a spec.tls entry with a secretName (required in prod).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireTls: { type: "boolean", default: true, description: "Require TLS on every Ingress host (prod: true)." },
        },
    },
    validateResource: validateResourceOfType(k8s.networking.v1.Ingress, (props, args, report) => {
        const { requireTls } = configOf<Config>(args, ingressRequiresTls.configSchema!);
        if (!requireTls) {
            return args.notApplicable("TLS is not required by this stack's policy config");
        }
        const ref = refOf(args.type, props, args.name);
        const item = CHECKLIST.ingress;
        const fix = "set ingress.tls.clusterIssuer (cert-manager) or ingress.tls.secretName so every host gets a spec.tls entry";
        const tls = list(get(props, "spec", "tls"));
        const rules = list(get(props, "spec", "rules"));
        // Unknown during preview: the TLS entries, the rules, or a host on either side. A host
        // that is unknown is not known to be covered, and an unknown TLS list or host list is not
        // known to cover every host: the Ingress is not known-compliant, so it is reported. An
        // unknown secretName is still a named certificate Secret: presence is what is asked.
        if (isUnknown(tls) || isUnknown(rules)) {
            report(message(ref, `spec.${isUnknown(tls) ? "tls" : "rules"} is ${UNKNOWN_TEXT}, so its hosts are not known to be served over TLS`, item, fix));
            return;
        }
        const hosts = [...new Set(rules.map((r) => str(get(r, "host")) ?? "*"))];
        const shownHost = (h: (typeof hosts)[number]) => (isUnknown(h) ? "<unknown>" : h);
        if (tls.length === 0) {
            report(message(ref, `serves ${hosts.map(shownHost).join(", ")} without TLS`, item, fix));
            return;
        }
        const tlsHosts = tls.map((t) => list(get(t, "hosts")));
        const covered = new Set(tlsHosts.flatMap((hs) => (isUnknown(hs) ? [] : hs.map((h) => str(h)))).filter((h): h is string => typeof h === "string"));
        const someTlsHostUnknown = tlsHosts.some((hs) => isUnknown(hs) || hs.some((h) => isUnknown(str(h))));
        const uncovered = hosts.filter((h) => isUnknown(h) || !covered.has(h));
        if (uncovered.length > 0) {
            const unknown = someTlsHostUnknown || uncovered.some(isUnknown) ? ` (TLS or rule hosts ${UNKNOWN_TEXT})` : "";
            report(message(ref, `host${uncovered.length === 1 ? "" : "s"} ${uncovered.map(shownHost).join(", ")} ha${uncovered.length === 1 ? "s" : "ve"} no TLS entry${unknown}`, item, fix));
        }
        tls.forEach((t, i) => {
            const secretName = get(t, "secretName");
            if (!isUnknown(secretName) && !secretName) {
                const hs = tlsHosts[i];
                const names = isUnknown(hs) ? "<unknown hosts>" : hs.map((h) => (isUnknown(h) ? "<unknown>" : String(h))).join(", ");
                report(message(ref, `TLS entry for ${names || "all hosts"} names no secretName`, item, "name the certificate Secret in spec.tls[].secretName"));
            }
        });
    }),
};
