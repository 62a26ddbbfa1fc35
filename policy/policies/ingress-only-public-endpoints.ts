import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, get, isUnknown, list, message, num, refOf, shown, str } from "../lib";

interface PublicEndpoint {
    service: string;
    port: number;
    /** Path prefixes this endpoint may be published under; any path when absent. */
    paths?: string[];
}

interface Config {
    publicEndpoints: PublicEndpoint[];
}

const DEFAULT_ENDPOINTS: PublicEndpoint[] = [
    { service: "connector", port: 4000 },
    { service: "connector-explorer", port: 5173 },
    { service: "agent-runtime", port: 3100, paths: ["/.well-known/pay"] },
    { service: "agentstate", port: 8080 },
];

/** Seed 000: "Ingress/LoadBalancer for external access (if needed)": only BTP, Explorer, SPSP and AgentState's API are public. */
export const ingressOnlyPublicEndpoints: ResourceValidationPolicy = {
    name: "ingress-only-public-endpoints",
    description: "Ingress rules route only to the endpoints meant to be public (BTP, Explorer, SPSP /.well-known/pay, AgentState API), and no Ingress has a default backend.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            publicEndpoints: {
                type: "array",
                default: DEFAULT_ENDPOINTS,
                description: "The Service name and port of each public endpoint, optionally limited to path prefixes.",
                items: {
                    type: "object",
                    required: ["service", "port"],
                    properties: {
                        service: { type: "string" },
                        port: { type: "integer" },
                        paths: { type: "array", items: { type: "string" } },
                    },
                },
            },
        },
    },
    validateResource: validateResourceOfType(k8s.networking.v1.Ingress, (props, args, report) => {
        const { publicEndpoints } = configOf<Config>(args, ingressOnlyPublicEndpoints.configSchema!);
        const ref = refOf(args.type, props, args.name);
        const item = CHECKLIST.ingress;
        const allowed = publicEndpoints.map((e) => `${e.service}:${e.port}${e.paths ? ` (${e.paths.join(", ")})` : ""}`).join(", ");
        // A defaultBackend is reported by its presence, known or not.
        if (get(props, "spec", "defaultBackend") !== undefined) {
            report(message(ref, "has a defaultBackend, which publishes every unmatched host and path", item, "remove spec.defaultBackend and route explicit hosts and paths only"));
        }
        const fix = `remove the route, or add the endpoint to publicEndpoints in the policy config (public: ${allowed})`;
        // Whatever of a route is unknown during preview (the rules, a rule's paths, the backend
        // Service or port, a restricted path) leaves it not known to be a public endpoint, and an
        // Ingress publishes: the route is reported, never assumed public.
        const notKnown = (where: string, what: string) => report(message(ref, `${where} ${what} ${UNKNOWN_TEXT}, so it is not known to route to a public endpoint`, item, fix));
        const rules = list(get(props, "spec", "rules"));
        if (isUnknown(rules)) {
            notKnown("spec.rules", "are");
            return;
        }
        for (const rule of rules) {
            const host = str(get(rule, "host"));
            const paths = list(get(rule, "http", "paths"));
            if (isUnknown(paths)) {
                notKnown(`rule ${shown(host ?? "*")}`, "has paths");
                continue;
            }
            for (const p of paths) {
                const svc = get(p, "backend", "service");
                const service = str(get(svc, "name"));
                const port = num(get(svc, "port", "number"));
                const portName = str(get(svc, "port", "name"));
                const path = str(get(p, "path")) ?? "/";
                const where = `rule ${shown(host ?? "*")}${shown(path)}`;
                if (isUnknown(service) || isUnknown(port) || isUnknown(portName)) {
                    notKnown(where, `routes to ${shown(service ?? "a non-Service backend")}:${shown(port ?? portName ?? "?")}, which is`);
                    continue;
                }
                const endpoint = publicEndpoints.find((e) => e.service === service && (e.port === port || portName !== undefined));
                if (!endpoint) {
                    report(message(ref, `${where} routes to ${service ?? "a non-Service backend"}:${port ?? portName ?? "?"}, which is not a public endpoint`, item, fix));
                } else if (endpoint.paths && isUnknown(path)) {
                    notKnown(where, `publishes ${service} under a path`);
                } else if (endpoint.paths && !isUnknown(path) && !endpoint.paths.some((prefix) => path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`))) {
                    report(message(ref, `${where} publishes ${service} beyond its public paths ${endpoint.paths.join(", ")}`, item, `route only ${endpoint.paths.join(", ")} to ${service}`));
                }
            }
        }
    }),
};
