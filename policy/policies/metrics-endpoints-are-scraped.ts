import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, Workload, configOf, message, ofType, plain, regexes, selects, serviceSelects, stackWorkloads, str } from "../lib";

interface Config {
    metricsPortPatterns: string[];
}

interface MetricsPort {
    container: string;
    name: string;
    port: number;
}

function metricsPorts(w: Workload, cfg: Config): MetricsPort[] {
    const res = regexes(cfg.metricsPortPatterns);
    return w.containers.flatMap((c) =>
        ((c.container.ports ?? []) as any[])
            .filter((p) => typeof p?.name === "string" && res.some((r) => r.test(p.name)))
            .map((p) => ({ container: c.name, name: p.name as string, port: Number(plain(p.containerPort)) })),
    );
}

/** Seed 000/001/002: "Monitoring and alerting set up (Prometheus, Grafana)": every metrics port is scraped. */
export const metricsEndpointsAreScraped: StackValidationPolicy = {
    name: "metrics-endpoints-are-scraped",
    description: "Every workload exposing a metrics port is scraped: prometheus.io/scrape=true with prometheus.io/port naming that port on the pod template, or a ServiceMonitor selecting a Service in front of it.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            metricsPortPatterns: {
                type: "array",
                items: { type: "string" },
                default: ["metrics"],
                description: "Container port names (regular expressions) that serve Prometheus metrics.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, metricsEndpointsAreScraped.configSchema!);
        const item = CHECKLIST.monitoring;
        const serving = stackWorkloads(args.resources).filter((w) => metricsPorts(w, cfg).length > 0);
        if (serving.length === 0) {
            return args.notApplicable("no workload exposes a metrics port");
        }
        const services = ofType(args.resources, TYPES.service);
        const monitors = ofType(args.resources, TYPES.serviceMonitor);
        for (const w of serving) {
            const ports = metricsPorts(w, cfg);
            // A ServiceMonitor counts when it selects a Service that selects these pods.
            const viaMonitor = monitors.some((m) => {
                const nsSel = plain<Record<string, any>>(m.props.spec?.namespaceSelector) ?? {};
                const namespaces: string[] | undefined = nsSel.any ? undefined : nsSel.matchNames ?? [m.ref.namespace!];
                return services.some(
                    (s) =>
                        (namespaces === undefined || namespaces.includes(s.ref.namespace!)) &&
                        s.ref.namespace === w.ref.namespace &&
                        serviceSelects(s.props, w.podLabels) &&
                        selects(m.props.spec?.selector, plain<Record<string, string>>(s.props.metadata?.labels) ?? {}, false),
                );
            });
            if (viaMonitor) {
                continue;
            }
            const scrape = str(w.podAnnotations["prometheus.io/scrape"]);
            const port = str(w.podAnnotations["prometheus.io/port"]);
            const list = ports.map((p) => `${p.name} (${p.port})`).join(", ");
            if (scrape === undefined) {
                report(message(w.ref, `serves metrics on ${list} but nothing scrapes it (no prometheus.io/scrape annotation, no ServiceMonitor)`, item, `annotate the pod template with prometheus.io/scrape "true", prometheus.io/port "${ports[0].port}" and prometheus.io/path, or add a ServiceMonitor`), w.urn);
            } else if (scrape !== "true") {
                report(message(w.ref, `serves metrics on ${list} but prometheus.io/scrape is "${scrape}"`, item, `set prometheus.io/scrape to "true"`), w.urn);
            } else if (port === undefined || !ports.some((p) => String(p.port) === port || p.name === port)) {
                report(message(w.ref, `prometheus.io/port is ${port === undefined ? "unset" : `"${port}"`}, not its metrics port ${list}`, item, `set prometheus.io/port to "${ports[0].port}"`), w.urn);
            }
        }
    },
};
