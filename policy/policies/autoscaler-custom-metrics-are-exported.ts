import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, TYPES, UNKNOWN_TEXT, configOf, describe, get, hpaTargets, isUnknown, list, message, metricsPorts, ofType, stackWorkloads, str } from "../lib";

interface Config {
    metricsPortPatterns: string[];
}

/** The per-pod and per-object metrics an HPA scales on: what only the pods' own exporters can feed. */
function customMetrics(hpa: { props: unknown }): string[] | "unknown" {
    const metrics = list(get(hpa.props, "spec", "metrics"));
    if (isUnknown(metrics)) {
        return "unknown";
    }
    return metrics.flatMap((m) => {
        const type = str(get(m, "type"));
        const key = type === "Pods" ? "pods" : type === "Object" ? "object" : undefined;
        if (key === undefined) {
            return [];
        }
        const name = str(get(m, key, "metric", "name"));
        return [isUnknown(name) ? `(name ${UNKNOWN_TEXT})` : String(name)];
    });
}

/**
 * Seed 004: the agency scales on `queue_length`, a per-pod metric that the Prometheus Adapter
 * can serve only when Prometheus scrapes it from the pods. An HPA on Pods or Object metrics
 * must target pods that declare a metrics port; `metrics-endpoints-are-scraped` then holds
 * that port to being scraped. Without it the HPA never gets the metric and scales on the
 * others alone (or not at all).
 */
export const autoscalerCustomMetricsAreExported: StackValidationPolicy = {
    name: "autoscaler-custom-metrics-are-exported",
    description: "A HorizontalPodAutoscaler on Pods or Object metrics (queue_length) targets pods that declare a metrics port, so Prometheus can scrape what the adapter serves.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            metricsPortPatterns: { type: "array", items: { type: "string" }, default: ["metrics"], description: "Container port names (regular expressions) that serve Prometheus metrics." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<Config>(args, autoscalerCustomMetricsAreExported.configSchema!);
        const item = CHECKLIST.autoscaling;
        const hpas = ofType(args.resources, TYPES.hpa);
        const workloads = stackWorkloads(args.resources);
        let applicable = false;
        for (const h of hpas) {
            const metrics = customMetrics(h);
            if (metrics === "unknown") {
                applicable = true;
                report(message(h.ref, `spec.metrics is ${UNKNOWN_TEXT}, so whether its metrics have a source is not known`, item, "write the HPA's metrics in the manifest"), h.urn);
                continue;
            }
            if (metrics.length === 0) {
                continue;
            }
            applicable = true;
            const targeting = workloads.map((w) => [w, hpaTargets(h, w)] as const).filter(([, t]) => t !== false);
            const known = targeting.filter(([, t]) => t === true).map(([w]) => w);
            const scaled = `scales on ${metrics.join(", ")}`;
            if (known.length === 0) {
                const why = targeting.length > 0 ? `its target is ${UNKNOWN_TEXT}` : "its scaleTargetRef names no workload of the stack";
                report(message(h.ref, `${scaled} but ${why}, so the metric's source is not known`, item, "point scaleTargetRef at the workload whose pods export the metric"), h.urn);
                continue;
            }
            for (const w of known.filter((x) => metricsPorts(x, cfg.metricsPortPatterns).length === 0)) {
                report(
                    message(h.ref, `${scaled} but the pods of ${describe(w.ref)} declare no metrics port (${cfg.metricsPortPatterns.join(", ")}), so nothing exports the metric for the adapter`, item, "name the container port that serves the metric's /metrics \"metrics\" and annotate the pods for scraping (prometheus.io/scrape, prometheus.io/port)"),
                    h.urn,
                );
            }
        }
        if (!applicable) {
            return args.notApplicable("no HPA scales on Pods or Object metrics");
        }
    },
};
