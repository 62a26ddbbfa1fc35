import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN_TEXT, bool, configOf, get, isUnknown, labelsOf, list, message, metricsPorts, ofType, podAnnotation, sameNamespace, selects, serviceSelects, shown, stackWorkloads, str } from "../lib";

interface Config {
    metricsPortPatterns: string[];
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
        const serving = stackWorkloads(args.resources).filter((w) => metricsPorts(w, cfg.metricsPortPatterns).length > 0);
        if (serving.length === 0) {
            return args.notApplicable("no workload exposes a metrics port");
        }
        const services = ofType(args.resources, TYPES.service);
        const monitors = ofType(args.resources, TYPES.serviceMonitor);
        for (const w of serving) {
            const ports = metricsPorts(w, cfg.metricsPortPatterns);
            // A ServiceMonitor counts when it is known to select a Service known to select these
            // pods; an unknown selector or namespace selector on the way does not count.
            const viaMonitor = monitors.some((m) => {
                const nsSel = get(m.props, "spec", "namespaceSelector");
                const any = bool(get(nsSel, "any"));
                const matchNames = list(get(nsSel, "matchNames"));
                if (isUnknown(any) || isUnknown(matchNames)) {
                    return false;
                }
                const names = get(nsSel, "matchNames") === undefined ? undefined : matchNames.map((n) => str(n));
                return services.some(
                    (s) =>
                        sameNamespace(s.ref, w.ref) &&
                        (any === true || (names === undefined ? sameNamespace(m.ref, s.ref) : names.includes(s.ref.namespace as string))) &&
                        serviceSelects(s.props, w.podLabels) === true &&
                        selects(get(m.props, "spec", "selector"), labelsOf(get(s.props, "metadata", "labels")), false) === true,
                );
            });
            if (viaMonitor) {
                continue;
            }
            const scrape = podAnnotation(w, "prometheus.io/scrape");
            const port = podAnnotation(w, "prometheus.io/port");
            const listed = ports.map((p) => `${p.name} (${shown(p.port)})`).join(", ");
            const first = ports[0].port;
            // An annotation whose value is unknown during preview is still present: the message
            // says so instead of "no annotation". Its value is not known to be "true" (or to name
            // the metrics port), so the workload is not known to be scraped: reported.
            if (scrape === undefined) {
                report(message(w.ref, `serves metrics on ${listed} but nothing scrapes it (no prometheus.io/scrape annotation, no ServiceMonitor)`, item, `annotate the pod template with prometheus.io/scrape "true", prometheus.io/port "${shown(first)}" and prometheus.io/path, or add a ServiceMonitor`), w.urn);
            } else if (isUnknown(scrape)) {
                report(message(w.ref, `serves metrics on ${listed} but prometheus.io/scrape is ${UNKNOWN_TEXT}, so it is not known to be "true"`, item, `set prometheus.io/scrape to "true" in the manifest`), w.urn);
            } else if (scrape !== "true") {
                report(message(w.ref, `serves metrics on ${listed} but prometheus.io/scrape is "${scrape}"`, item, `set prometheus.io/scrape to "true"`), w.urn);
            } else if (isUnknown(port)) {
                report(message(w.ref, `prometheus.io/port is ${UNKNOWN_TEXT}, not known to be its metrics port ${listed}`, item, `set prometheus.io/port to "${shown(first)}"`), w.urn);
            } else if (port === undefined || !ports.some((p) => (!isUnknown(p.port) && String(p.port) === port) || p.name === port)) {
                // A metrics port whose number is unknown matches only by name.
                report(message(w.ref, `prometheus.io/port is ${port === undefined ? "unset" : `"${port}"`}, not its metrics port ${listed}`, item, `set prometheus.io/port to "${shown(first)}"`), w.urn);
            }
        }
    },
};
