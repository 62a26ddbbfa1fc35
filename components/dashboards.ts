// Grafana dashboards, one per tier, generated from the tier's actual namespace and object
// names as its alert rules are (components/alerts.ts), from the same series and selectors:
// kube-state-metrics, the kubelet (volume stats, and cAdvisor's container_* series), the
// `up` of the targets Prometheus scrapes through the pods' prometheus.io annotations, and
// the tiers' own metrics where a seed names them (AgentState's, the agency's queue_length).
// Each function returns the dashboard as plain data; `dashboardConfigMap` renders it as
// Grafana JSON in a ConfigMap that Grafana's dashboard sidecar loads (`grafana_dashboard: "1"`).
// No expression uses a Grafana variable, so that promtool parses each one as written
// (test/rules/dashboards.spec.ts); the only variable is the data source.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { AGENTSTATE_PUT_MATCHER, AGENTSTATE_SLO, claimUsage, hpaAtMax, selector } from "./alerts";

/** Grafana's unit ids, as the panels use them. */
export type Unit = "short" | "percentunit" | "s" | "bytes" | "cores" | "ops";

export interface Query {
    expr: string;
    /** Grafana's legend format (`{{ pod }}`). */
    legend: string;
}

export interface Panel {
    title: string;
    unit: Unit;
    queries: Query[];
    /** Drawn as a red line: the alert's or the SLO's threshold. */
    threshold?: number;
}

export interface Dashboard {
    title: string;
    panels: Panel[];
}

/** A Grafana dashboard uid: `name`, or its first 31 characters and a hash when it is longer than 40. */
export function dashboardUid(name: string): string {
    return name.length <= 40 ? name : `${name.slice(0, 31)}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

const q = (expr: string, legend: string): Query => ({ expr, legend });
const panel = (title: string, unit: Unit, queries: Query[], threshold?: number): Panel => ({ title, unit, queries, ...(threshold === undefined ? {} : { threshold }) });

// ---------------------------------------------------------------------------------------
// Panels every tier may share

function statefulSetReady(namespace: string, statefulSet: string, title = `StatefulSet ${statefulSet}: replicas ready`): Panel {
    const s = { namespace, statefulset: statefulSet };
    return panel(title, "short", [q(selector("kube_statefulset_status_replicas_ready", s), "ready"), q(selector("kube_statefulset_replicas", s), "desired")]);
}

function deploymentReady(namespace: string, deployment: string): Panel {
    const d = { namespace, deployment };
    return panel(`Deployment ${deployment}: replicas available`, "short", [
        q(selector("kube_deployment_status_replicas_available", d), "available"),
        q(selector("kube_deployment_spec_replicas", d), "desired"),
    ]);
}

/** The Service's endpoint addresses by readiness (the alert fires when none is ready). */
function endpointsReady(namespace: string, service: string): Panel {
    return panel(`Service ${service}: endpoint addresses`, "short", [q(`count by (ready) (${selector("kube_endpoint_address", { namespace, endpoint: service })})`, "ready={{ ready }}")]);
}

/** The namespace's scrape targets: 1 up, 0 down (ScrapeTargetDown), and what each serves. */
function scrapeTargets(namespace: string): Panel[] {
    return [
        panel("Scrape targets up", "short", [q(selector("up", { namespace }), "{{ pod }}")]),
        panel("Series per scrape", "short", [q(selector("scrape_samples_scraped", { namespace }), "{{ pod }}")]),
    ];
}

/** Each claim's used fraction, with PersistentVolumeFilling's 80 %. */
function claimsUsed(namespace: string): Panel {
    return panel("Claims used", "percentunit", [q(claimUsage(namespace), "{{ persistentvolumeclaim }}")], 0.8);
}

/** CPU, memory and restarts of the namespace's pods (cAdvisor, kube-state-metrics). */
function pods(namespace: string, memoryLimit?: number): Panel[] {
    const containers = { namespace, container: { re: ".+" } };
    return [
        panel("CPU by pod", "cores", [q(`sum by (pod) (rate(${selector("container_cpu_usage_seconds_total", containers)}[5m]))`, "{{ pod }}")]),
        panel("Memory (working set) by pod", "bytes", [q(`sum by (pod) (${selector("container_memory_working_set_bytes", containers)})`, "{{ pod }}")], memoryLimit),
        panel("Container restarts (1h)", "short", [q(`sum by (pod) (increase(${selector("kube_pod_container_status_restarts_total", { namespace })}[1h]))`, "{{ pod }}")]),
    ];
}

/** The HPA's replicas against its bounds, whether it is at its maximum, and its metrics against their targets. */
function autoscaler(namespace: string, hpa: string): Panel[] {
    const h = { namespace, horizontalpodautoscaler: hpa };
    const series = (metric: string, legend: string) => q(selector(`kube_horizontalpodautoscaler_${metric}`, h), legend);
    return [
        panel(`HPA ${hpa}: replicas`, "short", [
            series("status_current_replicas", "current"),
            series("status_desired_replicas", "desired"),
            series("spec_min_replicas", "min"),
            series("spec_max_replicas", "max"),
        ]),
        panel(`HPA ${hpa}: at its maximum (1 = yes)`, "short", [q(`count(${hpaAtMax(namespace, hpa)}) or vector(0)`, "at max")]),
        panel(`HPA ${hpa}: metrics and targets`, "short", [
            series("status_target_metric", "{{ metric_name }} ({{ metric_target_type }})"),
            series("spec_target_metric", "{{ metric_name }} target ({{ metric_target_type }})"),
        ]),
    ];
}

// ---------------------------------------------------------------------------------------
// One dashboard per tier

export function tigerbeetleDashboard(a: { namespace: string; statefulSet: string; replicas: number; quorum: number }): Dashboard {
    const ready = statefulSetReady(a.namespace, a.statefulSet, `Replicas ready (quorum ${a.quorum} of ${a.replicas})`);
    ready.queries.push(q(`vector(${a.quorum})`, "quorum"));
    // TigerBeetle serves no metrics endpoint the platform scrapes: no scrape panels.
    return { title: `TigerBeetle (${a.namespace})`, panels: [ready, claimsUsed(a.namespace), ...pods(a.namespace)] };
}

/**
 * `ledgerNamespace`: where the TigerBeetle cluster the connector settles against runs (its
 * only StatefulSet); the connector knows the namespace, not the ledger's object names.
 */
export function connectorDashboard(a: { namespace: string; deployment: string; service: string; ledgerNamespace: string }): Dashboard {
    const ledger = { namespace: a.ledgerNamespace };
    return {
        title: `Connector (${a.namespace})`,
        panels: [
            endpointsReady(a.namespace, a.service),
            deploymentReady(a.namespace, a.deployment),
            ...scrapeTargets(a.namespace),
            panel(`Settlement: ledger replicas ready (TigerBeetle in ${a.ledgerNamespace})`, "short", [
                q(`sum(${selector("kube_statefulset_status_replicas_ready", ledger)})`, "ready"),
                q(`sum(${selector("kube_statefulset_replicas", ledger)})`, "desired"),
            ]),
            ...pods(a.namespace),
        ],
    };
}

export function agentRuntimeDashboard(a: { namespace: string; deployment: string; service: string }): Dashboard {
    // The runtime serves no metrics endpoint the platform scrapes: no scrape panels.
    return { title: `Agent runtime (${a.namespace})`, panels: [endpointsReady(a.namespace, a.service), deploymentReady(a.namespace, a.deployment), ...pods(a.namespace)] };
}

/** `database`: the in-cluster PostgreSQL's StatefulSet, absent with an external database. */
export function businessLogicDashboard(a: { namespace: string; deployment: string; service: string; hpa: string; database?: { statefulSet: string } }): Dashboard {
    const database = a.database ? [statefulSetReady(a.namespace, a.database.statefulSet, "PostgreSQL: replicas ready"), claimsUsed(a.namespace)] : [];
    return {
        title: `Business logic (${a.namespace})`,
        panels: [...autoscaler(a.namespace, a.hpa), endpointsReady(a.namespace, a.service), deploymentReady(a.namespace, a.deployment), ...database, ...pods(a.namespace)],
    };
}

/** Seed 002's monitoring queries, scoped to the namespace, with its SLOs as thresholds. */
export function agentStateDashboard(a: { namespace: string; statefulSet: string }): Dashboard {
    const ns = { namespace: a.namespace };
    const rate = (metric: string, extra: Record<string, string> = {}) => `rate(${selector(metric, { ...ns, ...extra })}[5m])`;
    const increase = (metric: string) => `sum(increase(${selector(metric, ns)}[5m]))`;
    const p95 = (matchers: Record<string, string | { re: string }>, by: string) =>
        `histogram_quantile(0.95, sum by (${by}) (rate(${selector("op_duration_seconds_bucket", { ...ns, ...matchers })}[5m])))`;
    return {
        title: `AgentState (${a.namespace})`,
        panels: [
            panel("Operation latency p95 (PUT SLO 15 ms)", "s", [q(p95({}, "le, op"), "{{ op }}"), q(p95(AGENTSTATE_PUT_MATCHER, "le"), "PUT")], AGENTSTATE_SLO.putP95Seconds),
            panel("Error ratio", "percentunit", [q(`sum(${rate("agentstate_ops_total", { result: "error" })}) / sum(${rate("agentstate_ops_total")})`, "errors")], AGENTSTATE_SLO.errorRatio),
            panel("Operations by result", "ops", [q(`sum by (result) (${rate("agentstate_ops_total")})`, "{{ result }}")]),
            panel("Watch backlog", "short", [q(selector("watch_backlog_events", ns), "{{ pod }}")], 1000),
            panel("Watch drops (5m)", "short", [q(increase("watch_drops_total"), "dropped")]),
            panel("Watch emit lag p95 (SLO 200 ms)", "s", [q(selector("watch_emit_lag_seconds", ns), "{{ pod }}")], AGENTSTATE_SLO.watchEmitLagSeconds),
            panel("Rate limited (5m)", "short", [q(increase("rate_limit_exceeded_total"), "limited")]),
            statefulSetReady(a.namespace, a.statefulSet),
            ...scrapeTargets(a.namespace),
            claimsUsed(a.namespace),
            // Seed 002's baseline: "Memory usage: < 512MB for moderate workloads".
            ...pods(a.namespace, 512 * 1024 * 1024),
        ],
    };
}

export function agencyTenantDashboard(a: { tenant: string; namespace: string; hpa: string; queueLengthTarget: number; statefulSets: string[] }): Dashboard {
    const queue = selector("queue_length", { namespace: a.namespace });
    return {
        title: `Agency tenant ${a.tenant} (${a.namespace})`,
        panels: [
            panel(`Pending tasks per pod (target ${a.queueLengthTarget})`, "short", [q(queue, "{{ pod }}"), q(`avg(${queue})`, "mean")], a.queueLengthTarget),
            ...autoscaler(a.namespace, a.hpa),
            ...a.statefulSets.map((s) => statefulSetReady(a.namespace, s)),
            ...scrapeTargets(a.namespace),
            claimsUsed(a.namespace),
            ...pods(a.namespace),
        ],
    };
}

// ---------------------------------------------------------------------------------------
// The ConfigMap

/** The dashboard as Grafana's JSON model: panels two a row, every query on the chosen Prometheus. */
export function grafanaJson(uid: string, d: Dashboard) {
    const datasource = { type: "prometheus", uid: "${datasource}" };
    return {
        uid,
        title: d.title,
        tags: ["m2m-platform"],
        schemaVersion: 39,
        editable: false,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        templating: { list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus" }] },
        panels: d.panels.map((p, id) => ({
            id: id + 1,
            type: "timeseries",
            title: p.title,
            gridPos: { x: (id % 2) * 12, y: Math.floor(id / 2) * 8, w: 12, h: 8 },
            datasource,
            fieldConfig: {
                defaults: {
                    unit: p.unit,
                    ...(p.threshold === undefined
                        ? {}
                        : { thresholds: { mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: p.threshold }] }, custom: { thresholdsStyle: { mode: "line" } } }),
                },
                overrides: [],
            },
            targets: p.queries.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource, expr: t.expr, legendFormat: t.legend })),
        })),
    };
}

export interface DashboardArgs {
    /** Unique in the Grafana instance, at most 40 characters (`dashboardUid`); the ConfigMap and its file are named after it. */
    uid: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    dashboard: pulumi.Input<Dashboard>;
}

/**
 * The tier's dashboard as a ConfigMap in its own namespace, labelled for Grafana's sidecar,
 * so it lives and goes with the tier (an offboarded tenant's with it). The sidecar writes
 * every ConfigMap's keys into one folder: the key is named after the dashboard's uid, unique
 * across tiers and tenants.
 */
export function dashboardConfigMap(parent: pulumi.Resource, resourceName: string, args: DashboardArgs) {
    return new k8s.core.v1.ConfigMap(
        resourceName,
        {
            metadata: { name: `${args.uid}-grafana-dashboard`, namespace: args.namespace, labels: { ...args.labels, grafana_dashboard: "1" } },
            data: { [`${args.uid}-dashboard.json`]: pulumi.output(args.dashboard).apply((d) => JSON.stringify(grafanaJson(args.uid, d), null, 2)) },
        },
        { parent },
    );
}
