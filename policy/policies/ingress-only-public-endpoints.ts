import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, message, plain, refOf } from "../lib";

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
        if (props.spec?.defaultBackend) {
            report(message(ref, "has a defaultBackend, which publishes every unmatched host and path", item, "remove spec.defaultBackend and route explicit hosts and paths only"));
        }
        for (const rule of (props.spec?.rules ?? []) as any[]) {
            for (const p of (rule?.http?.paths ?? []) as any[]) {
                const svc = p?.backend?.service;
                const port = plain<number | undefined>(svc?.port?.number);
                const path = String(p?.path ?? "/");
                const where = `rule ${rule?.host ?? "*"}${path}`;
                const endpoint = publicEndpoints.find((e) => e.service === svc?.name && (e.port === port || svc?.port?.name !== undefined));
                if (!endpoint) {
                    report(message(ref, `${where} routes to ${svc?.name ?? "a non-Service backend"}:${port ?? svc?.port?.name ?? "?"}, which is not a public endpoint`, item, `remove the route, or add the endpoint to publicEndpoints in the policy config (public: ${allowed})`));
                } else if (endpoint.paths && !endpoint.paths.some((prefix) => path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`))) {
                    report(message(ref, `${where} publishes ${svc.name} beyond its public paths ${endpoint.paths.join(", ")}`, item, `route only ${endpoint.paths.join(", ")} to ${svc.name}`));
                }
            }
        }
    }),
};
