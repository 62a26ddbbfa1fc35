// The Grafana dashboards' structure, without promtool (test/rules/dashboards.spec.ts parses
// every expression): one ConfigMap per tier namespace, labelled for Grafana's sidecar, each
// panel querying only series its tier exposes, scoped to its namespace, with the same
// selectors as the tier's alert rules.
import * as assert from "assert";
import { PlatformConfig } from "../config";
import { dashboardUid } from "../components/dashboards";
import { CapturedStack, captureStack, label, ofKind, workloads } from "./harness";
import { PlacedDashboard, dashboardsOf, queriesOf, seriesIn } from "./dashboardQueries";

/** Series every tier has from the cluster: kube-state-metrics, the kubelet's volume stats and cAdvisor. */
const CLUSTER_SERIES = [
    "kube_statefulset_status_replicas_ready",
    "kube_statefulset_replicas",
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
    "kube_endpoint_address",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_status_target_metric",
    "kube_horizontalpodautoscaler_spec_target_metric",
    "kube_pod_container_status_restarts_total",
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
];

/** Series Prometheus records of each target it scrapes: only where a pod is scraped. */
const TARGET_SERIES = ["up", "scrape_samples_scraped"];

/** Each tier's own metrics, as its seed names them (seed 002's monitoring queries and baselines; seed 004's HPA metric). */
const AGENTSTATE_SERIES = ["op_duration_seconds_bucket", "agentstate_ops_total", "watch_backlog_events", "watch_drops_total", "watch_emit_lag_seconds", "rate_limit_exceeded_total"];

interface TierExpectation {
    uid: string;
    namespace: string;
    /** Namespaces other than its own that a panel may name (the connector's ledger). */
    alsoReads: string[];
    own: string[];
    /** What the dashboard must plot: its alerts' series and the seed's queries. */
    plots: string[];
}

function expected(cfg: PlatformConfig): TierExpectation[] {
    const tier = (uid: string, namespace: string, own: string[], plots: string[], alsoReads: string[] = []) => ({ uid, namespace, own, plots, alsoReads });
    const hpa = ["kube_horizontalpodautoscaler_status_current_replicas", "kube_horizontalpodautoscaler_spec_max_replicas"];
    return [
        tier("tigerbeetle", cfg.tigerbeetle.namespace, [], ["kube_statefulset_status_replicas_ready", "kubelet_volume_stats_used_bytes"]),
        tier("connector", cfg.connector.namespace, [], ["kube_endpoint_address", "up", "kube_statefulset_status_replicas_ready"], [cfg.tigerbeetle.namespace]),
        tier("agent-runtime", cfg.agentRuntime.namespace, [], ["kube_endpoint_address", "kube_deployment_status_replicas_available"]),
        tier("business-logic", cfg.businessLogic.namespace, [], [...hpa, "kube_horizontalpodautoscaler_status_target_metric", "kubelet_volume_stats_used_bytes"]),
        tier("agentstate", cfg.agentState.namespace, AGENTSTATE_SERIES, [...AGENTSTATE_SERIES, "up", "kube_statefulset_status_replicas_ready", "kubelet_volume_stats_used_bytes"]),
        ...cfg.agency.tenants.map((t) => tier(`agency-${t}`, `${cfg.agency.namespacePrefix}${t}`, ["queue_length"], ["queue_length", ...hpa, "up"])),
    ];
}

function dashboardIn(stack: CapturedStack, namespace: string): PlacedDashboard {
    const found = dashboardsOf(stack).filter((d) => d.namespace === namespace);
    assert.strictEqual(found.length, 1, `one dashboard in namespace ${namespace}, found ${found.map((d) => label(d.resource)).join(", ") || "none"}`);
    return found[0];
}

/** Whether Prometheus scrapes a pod in the namespace (a workload's pod template carries prometheus.io/scrape). */
function scraped(stack: CapturedStack, namespace: string): boolean {
    return workloads(stack).some((w) => w.props.metadata.namespace === namespace && w.props.spec.template.metadata?.annotations?.["prometheus.io/scrape"] === "true");
}

describe("Grafana dashboards", () => {
    let prod: CapturedStack;
    before(async () => {
        prod = await captureStack("prod");
    });

    it("are on in prod and off in dev (monitoring.dashboards), on in dev when set", async () => {
        assert.deepStrictEqual(dashboardsOf(await captureStack("dev")), []);
        const dev = await captureStack("dev", { monitoring: { dashboards: true } });
        assert.deepStrictEqual(dashboardsOf(dev).map((d) => d.uid).sort(), expected(dev.config).map((t) => t.uid).sort());
    });

    it("one per tier and tenant, in the tier's namespace, labelled for the sidecar, its file named after its unique uid", () => {
        const tiers = expected(prod.config);
        assert.strictEqual(dashboardsOf(prod).length, tiers.length);
        for (const t of tiers) {
            const d = dashboardIn(prod, t.namespace);
            const meta = d.resource.props.metadata;
            assert.strictEqual(d.uid, t.uid);
            assert.strictEqual(meta.name, `${t.uid}-grafana-dashboard`);
            assert.deepStrictEqual(Object.keys(d.resource.props.data), [`${t.uid}-dashboard.json`]);
            assert.strictEqual(meta.labels["app.kubernetes.io/part-of"], "m2m-platform", `${label(d.resource)}: recommended labels`);
            assert.ok(d.json.panels.length > 0, `${t.uid} has panels`);
        }
    });

    it("keeps AgentState's ConfigMap and file names of seed 002", () => {
        const d = dashboardIn(prod, prod.config.agentState.namespace);
        assert.strictEqual(d.resource.props.metadata.name, "agentstate-grafana-dashboard");
        assert.ok("agentstate-dashboard.json" in d.resource.props.data);
    });

    it("query only the series their tier exposes, scoped to its namespace", () => {
        for (const t of expected(prod.config)) {
            const d = dashboardIn(prod, t.namespace);
            const allowed = new Set([...CLUSTER_SERIES, ...t.own, ...(scraped(prod, t.namespace) ? TARGET_SERIES : [])]);
            for (const { panel, expr } of queriesOf(d)) {
                for (const s of seriesIn(expr)) {
                    assert.ok(allowed.has(s.metric), `${t.uid} / ${panel}: ${s.metric} is not a series the tier exposes (${expr})`);
                    const ns = [t.namespace, ...t.alsoReads].map((n) => `="${n}"`);
                    assert.ok(ns.includes(s.matchers.namespace), `${t.uid} / ${panel}: ${s.metric} is not scoped to ${t.namespace} (${expr})`);
                }
            }
        }
    });

    it("plot their alerts' series and the seeds' queries", () => {
        for (const t of expected(prod.config)) {
            const plotted = new Set(queriesOf(dashboardIn(prod, t.namespace)).flatMap((q) => seriesIn(q.expr).map((s) => s.metric)));
            assert.deepStrictEqual(t.plots.filter((m) => !plotted.has(m)), [], `${t.uid} plots`);
        }
    });

    it("select each series an alert of the tier also watches with the alert's matchers", () => {
        for (const d of dashboardsOf(prod)) {
            const plotted = queriesOf(d).flatMap((q) => seriesIn(q.expr));
            const rules = ofKind(prod, "PrometheusRule").filter((r) => r.props.metadata.namespace === d.namespace);
            for (const alert of rules.flatMap((r) => r.props.spec.groups.flatMap((g: any) => g.rules))) {
                for (const s of seriesIn(alert.expr)) {
                    const same = plotted.filter((p) => p.metric === s.metric);
                    const agrees = (p: { matchers: Record<string, string> }) => Object.entries(s.matchers).every(([k, v]) => k === "ready" || p.matchers[k] === v);
                    assert.ok(same.length === 0 || same.some(agrees), `${d.uid}: no panel selects ${s.metric} as ${alert.alert} does (${alert.expr})`);
                }
            }
        }
    });

    it("give each tenant a uid of at most 40 characters, unique however long its name", () => {
        const long = "a".repeat(50);
        assert.strictEqual(dashboardUid("agency-client-a"), "agency-client-a");
        assert.ok(dashboardUid(`agency-${long}`).length <= 40);
        assert.notStrictEqual(dashboardUid(`agency-${long}`), dashboardUid(`agency-${long}b`));
    });

    it("use no Grafana variable in an expression (promtool parses them as written)", () => {
        for (const d of dashboardsOf(prod)) {
            for (const { panel, expr } of queriesOf(d)) {
                assert.ok(!expr.includes("$"), `${d.uid} / ${panel}: ${expr}`);
            }
        }
    });
});
