// Alert rules, one Prometheus rule group per tier, generated from the tier's actual
// namespace and object names (namespaces are configurable, so no rule names one
// literally). Each function returns the group as plain data; `alertRules` wraps a group in
// a PrometheusRule (Prometheus Operator) in the tier's namespace.
//
// Where the series come from:
// - kube-state-metrics (v2.6+): kube_statefulset_status_replicas_ready,
//   kube_endpoint_info / kube_endpoint_address{ready}, kube_horizontalpodautoscaler_*;
// - the kubelet: kubelet_volume_stats_{used,capacity}_bytes;
// - Prometheus itself: `up` of every target it scrapes through the pods' prometheus.io
//   annotations, labelled with the pod's `namespace` (and `pod`), as the Prometheus
//   Adapter rule in the README expects of queue_length too;
// - AgentState's own metrics (seed 002, "Performance Baselines" and "Watch Overflow");
// - the agency's queue_length, served by the elastic-swarm sidecar on :3006/metrics.
//
// Every rule carries `severity` (critical: the tier is down or about to lose data; warning:
// degraded, act within hours) and the annotations `summary`, `description` and
// `runbook_url`, which points at the rule's paragraph under "Alerts" in the README.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export type Severity = "critical" | "warning";

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: Severity };
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
    name: string;
    rules: AlertRule[];
}

/** Where the runbooks live: the README's "Alerts" section, one anchor per alert. */
export const RUNBOOK_BASE = "README.md";

/** Product names that stay one word in an anchor. */
const ONE_WORD = ["TigerBeetle", "AgentState"];

/** The README anchor of an alert's runbook paragraph: `alert-` + its name in kebab case. */
export function runbookAnchor(alert: string): string {
    const words = ONE_WORD.reduce((name, w) => name.replace(w, w[0] + w.slice(1).toLowerCase()), alert);
    return `alert-${words.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
}

export function runbookUrl(alert: string): string {
    return `${RUNBOOK_BASE}#${runbookAnchor(alert)}`;
}

/** A PromQL selector: `metric{k="v", ...}` with the values escaped; `{ re }` matches a regular expression. */
export function selector(metric: string, matchers: Record<string, string | { re: string }>): string {
    const m = Object.entries(matchers).map(([k, v]) => (typeof v === "string" ? `${k}=${JSON.stringify(v)}` : `${k}=~${JSON.stringify(v.re)}`));
    return `${metric}{${m.join(", ")}}`;
}

function rule(alert: string, severity: Severity, expr: string, forDuration: string | undefined, summary: string, description: string): AlertRule {
    return {
        alert,
        expr,
        ...(forDuration ? { for: forDuration } : {}),
        labels: { severity },
        annotations: { summary, description, runbook_url: runbookUrl(alert) },
    };
}

// ---------------------------------------------------------------------------------------
// Rules every tier may share

/** Who an alert is about, as its summary starts: the tier and its namespace. */
interface Tier {
    /** "TigerBeetle", "the connector", ...: as a description names it. */
    name: string;
    namespace: string;
}

/** `TigerBeetle in tigerbeetle`: how every summary starts. */
function about(t: Tier): string {
    return `${t.name[0].toUpperCase()}${t.name.slice(1)} in ${t.namespace}`;
}

/** A target Prometheus scrapes in the namespace is down (its /metrics does not answer). */
function scrapeTargetDown(t: Tier): AlertRule {
    return rule(
        "ScrapeTargetDown",
        "warning",
        `${selector("up", { namespace: t.namespace })} == 0`,
        "5m",
        `${about(t)}: scrape target {{ $labels.pod }} ({{ $labels.instance }}) is down`,
        `Prometheus has failed to scrape ${t.name}'s metrics at {{ $labels.instance }} for 5 minutes: the pod is not running, its metrics port does not answer, or a NetworkPolicy keeps the monitoring namespace out.`,
    );
}

/** The fraction of each claim in the namespace that is used (the dashboards plot it too). */
export function claimUsage(namespace: string): string {
    const volume = (metric: string) => `max by (namespace, persistentvolumeclaim) (${selector(metric, { namespace })})`;
    return `${volume("kubelet_volume_stats_used_bytes")} / ${volume("kubelet_volume_stats_capacity_bytes")}`;
}

/** A claim in the namespace is more than 80 % full. */
function volumeFilling(t: Tier): AlertRule {
    return rule(
        "PersistentVolumeFilling",
        "warning",
        `${claimUsage(t.namespace)} > 0.8`,
        "5m",
        `${about(t)}: claim {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full`,
        `The volume of claim {{ $labels.persistentvolumeclaim }} has been more than 80 % full for 5 minutes; once it is full, ${t.name} can no longer write.`,
    );
}

/** A Service's Endpoints exist but list no ready address. */
function noReadyEndpoints(alert: string, t: Tier, service: string): AlertRule {
    const endpoint = { namespace: t.namespace, endpoint: service };
    return rule(
        alert,
        "critical",
        `${selector("kube_endpoint_info", endpoint)} unless on (namespace, endpoint) ${selector("kube_endpoint_address", { ...endpoint, ready: "true" })}`,
        "2m",
        `${about(t)}: Service ${service} has no ready endpoints`,
        `No pod behind the Service ${service} has been ready for 2 minutes: every call to ${t.name} fails.`,
    );
}

/** The HPA's current replicas have reached its maximum (the expression, for the rules below and the dashboards). */
export function hpaAtMax(namespace: string, hpa: string): string {
    const h = { namespace, horizontalpodautoscaler: hpa };
    return `${selector("kube_horizontalpodautoscaler_status_current_replicas", h)} >= on (namespace, horizontalpodautoscaler) ${selector("kube_horizontalpodautoscaler_spec_max_replicas", h)}`;
}

/** The Velero Schedule that backs a tier's namespace up, and its longest gap between two runs. */
export interface BackupWatch {
    schedule: string;
    periodSeconds: number;
}

/** A duration in PromQL's notation, in whole minutes. */
function promDuration(seconds: number): string {
    return `${Math.max(1, Math.round(seconds / 60))}m`;
}

/**
 * The backup alerts, in the group of the tier whose data they protect: a backup of its
 * Schedule failed (in full or in part), or the last good one is older than twice the
 * schedule's longest gap. From Velero's own metrics (`velero_backup_*{schedule}`, the
 * Schedule being named after the namespace), which carry Velero's namespace, not the
 * tier's: a Prometheus with `enforcedNamespaceLabel` must exempt these two rules
 * (`excludedFromEnforcement`).
 */
function backupRules(t: Tier, backup: BackupWatch | undefined): AlertRule[] {
    if (!backup) {
        return [];
    }
    const s = { schedule: backup.schedule };
    const failed = (metric: string) => `increase(${selector(metric, s)}[1h]) > 0`;
    const overdue = 2 * backup.periodSeconds;
    return [
        rule(
            "BackupFailed",
            "warning",
            `(${failed("velero_backup_failure_total")}) or (${failed("velero_backup_partial_failure_total")})`,
            "1m",
            `${about(t)}: a backup of Velero Schedule ${backup.schedule} failed`,
            `Velero's last backup of ${t.name} (Schedule ${backup.schedule}) failed or partially failed in the past hour: \`velero backup describe\` and \`velero backup logs\` say why.`,
        ),
        rule(
            "BackupOverdue",
            "critical",
            `time() - ${selector("velero_backup_last_successful_timestamp", s)} > ${overdue}`,
            "10m",
            `${about(t)}: the last good backup is {{ $value | humanizeDuration }} old`,
            `No backup of ${t.name} (Velero Schedule ${backup.schedule}) has succeeded for more than ${promDuration(overdue)}, twice the schedule's interval: a restore would lose more than the schedule promises.`,
        ),
    ];
}

// ---------------------------------------------------------------------------------------
// One group per tier

/** `quorum`: the majority of `replicas` (components/tigerbeetle.ts computes it). */
export function tigerbeetleRules(a: { namespace: string; statefulSet: string; replicas: number; quorum: number; backup?: BackupWatch }): RuleGroup {
    const ready = selector("kube_statefulset_status_replicas_ready", { namespace: a.namespace, statefulset: a.statefulSet });
    const quorum = a.quorum;
    const t = { name: "TigerBeetle", namespace: a.namespace };
    return {
        name: "tigerbeetle",
        rules: [
            rule(
                "TigerBeetleBelowQuorum",
                "critical",
                `${ready} < ${quorum}`,
                "1m",
                `${about(t)}: {{ $value }} of ${a.replicas} replicas ready, below the quorum of ${quorum}`,
                `Fewer than ${quorum} of the ${a.replicas} TigerBeetle replicas have been ready for a minute: the ledger accepts no transfers and the connector cannot settle.`,
            ),
            // With one replica, below the count is below quorum: the critical rule says it.
            ...(a.replicas > quorum
                ? [
                      rule(
                          "TigerBeetleReplicasNotReady",
                          "warning",
                          `${ready} < ${a.replicas}`,
                          "10m",
                          `${about(t)}: {{ $value }} of ${a.replicas} replicas ready`,
                          `A TigerBeetle replica has not been ready for 10 minutes; the cluster keeps quorum (${quorum}) but survives no further loss.`,
                      ),
                  ]
                : []),
            volumeFilling(t),
            ...backupRules(t, a.backup),
        ],
    };
}

export function connectorRules(a: { namespace: string; service: string }): RuleGroup {
    const t = { name: "the connector", namespace: a.namespace };
    return { name: "connector", rules: [noReadyEndpoints("ConnectorNoReadyEndpoints", t, a.service), scrapeTargetDown(t)] };
}

export function agentRuntimeRules(a: { namespace: string; service: string }): RuleGroup {
    // The runtime serves no metrics endpoint that the platform scrapes: no ScrapeTargetDown.
    const t = { name: "the agent runtime", namespace: a.namespace };
    return { name: "agent-runtime", rules: [noReadyEndpoints("AgentRuntimeNoReadyEndpoints", t, a.service)] };
}

export function businessLogicRules(a: { namespace: string; hpa: string; inClusterDatabase: boolean; backup?: BackupWatch }): RuleGroup {
    const t = { name: "the business logic", namespace: a.namespace };
    return {
        name: "business-logic",
        rules: [
            rule(
                "BusinessLogicHpaAtMax",
                "warning",
                hpaAtMax(a.namespace, a.hpa),
                "15m",
                `${about(t)}: the HPA ${a.hpa} has been at its maximum of {{ $value }} replicas for 15 minutes`,
                `The business logic cannot scale further: the load needs more than the HPA's maxReplicas allows, or the pods are saturated by something scaling does not fix (the database).`,
            ),
            ...(a.inClusterDatabase ? [volumeFilling({ name: "PostgreSQL", namespace: a.namespace }), ...backupRules({ name: "PostgreSQL", namespace: a.namespace }, a.backup)] : []),
        ],
    };
}

/** AgentState's SLOs, from its deployment guide (seed 002). */
export const AGENTSTATE_SLO = {
    /** "PUT p95 latency: < 15ms". */
    putP95Seconds: 0.015,
    /** "Watch emit lag p95: < 200ms". */
    watchEmitLagSeconds: 0.2,
    /** Not in the guide: the error ratio this project alerts on. */
    errorRatio: 0.01,
};

/**
 * The label that names the operation on `op_duration_seconds_bucket`. The guide queries the
 * histogram without one; the rule assumes `op`, matched case-insensitively to `put`.
 */
export const AGENTSTATE_PUT_MATCHER: Record<string, { re: string }> = { op: { re: "(?i)put" } };

/** AgentState's own snapshot CronJob, and its schedule's longest gap between two runs. */
export interface SnapshotWatch {
    cronJob: string;
    periodSeconds: number;
}

/** AgentState's application-consistent snapshots (the CronJob through its admin API): a run failed, or none succeeded for too long. */
function snapshotRules(t: Tier, s: SnapshotWatch | undefined): AlertRule[] {
    if (!s) {
        return [];
    }
    const overdue = 2 * s.periodSeconds;
    return [
        rule(
            "AgentStateSnapshotFailed",
            "warning",
            `max by (namespace, job_name) (${selector("kube_job_status_failed", { namespace: t.namespace, job_name: { re: `${s.cronJob}-.*` } })}) > 0`,
            "1m",
            `${about(t)}: snapshot job {{ $labels.job_name }} failed`,
            `A run of the CronJob ${s.cronJob} failed: no snapshot was taken (or the WAL was not trimmed). Its pod's log says why (kubectl -n ${t.namespace} logs job/{{ $labels.job_name }}).`,
        ),
        rule(
            "AgentStateSnapshotOverdue",
            "warning",
            `time() - ${selector("kube_cronjob_status_last_successful_time", { namespace: t.namespace, cronjob: s.cronJob })} > ${overdue}`,
            "10m",
            `${about(t)}: the last snapshot through the admin API is {{ $value | humanizeDuration }} old`,
            `No run of the CronJob ${s.cronJob} has succeeded for more than ${promDuration(overdue)}, twice its schedule's interval: a point-in-time restore would go further back than the schedule promises.`,
        ),
    ];
}

export function agentStateRules(a: { namespace: string; statefulSet: string; backup?: BackupWatch; snapshots?: SnapshotWatch }): RuleGroup {
    const ns = { namespace: a.namespace };
    const rate = (metric: string, extra: Record<string, string> = {}) => `rate(${selector(metric, { ...ns, ...extra })}[5m])`;
    const increase = (metric: string) => `increase(${selector(metric, ns)}[5m])`;
    const t = { name: "AgentState", namespace: a.namespace };
    const put = selector("op_duration_seconds_bucket", { ...ns, ...AGENTSTATE_PUT_MATCHER });
    return {
        name: "agentstate",
        rules: [
            rule(
                "AgentStateDown",
                "critical",
                `${selector("kube_statefulset_status_replicas_ready", { ...ns, statefulset: a.statefulSet })} < 1`,
                "5m",
                `${about(t)}: the server has not been ready for 5 minutes`,
                "AgentState runs one replica: while it is not ready, agents and tenants can neither read nor write state.",
            ),
            rule(
                "AgentStatePutLatencyHigh",
                "warning",
                `histogram_quantile(0.95, sum by (namespace, le) (rate(${put}[5m]))) > ${AGENTSTATE_SLO.putP95Seconds}`,
                "10m",
                `${about(t)}: PUT p95 latency is {{ $value | humanizeDuration }}, above the 15ms SLO`,
                "The 95th percentile of PUT operations has been above 15 ms for 10 minutes (seed 002's baseline).",
            ),
            rule(
                "AgentStateErrorRatioHigh",
                "warning",
                `sum by (namespace) (${rate("agentstate_ops_total", { result: "error" })}) / sum by (namespace) (${rate("agentstate_ops_total")}) > ${AGENTSTATE_SLO.errorRatio}`,
                "10m",
                `${about(t)}: {{ $value | humanizePercentage }} of operations fail`,
                "More than 1 % of AgentState operations have returned an error for 10 minutes.",
            ),
            rule(
                "AgentStateWatchDrops",
                "warning",
                `sum by (namespace) (${increase("watch_drops_total")}) > 0`,
                "15m",
                `${about(t)}: {{ $value | humanize }} watch events dropped in the last 5 minutes`,
                "watch_drops_total has kept increasing for 15 minutes: watch clients overflow their buffers and miss events (seed 002: no steady increases).",
            ),
            rule(
                "AgentStateWatchEmitLagHigh",
                "warning",
                `max by (namespace) (${selector("watch_emit_lag_seconds", ns)}) > ${AGENTSTATE_SLO.watchEmitLagSeconds}`,
                "10m",
                `${about(t)}: watch emit lag p95 is {{ $value | humanizeDuration }}, above the 200ms SLO`,
                "Watch events have reached clients more than 200 ms late (p95) for 10 minutes.",
            ),
            rule(
                "AgentStateRateLimited",
                "warning",
                `sum by (namespace) (${increase("rate_limit_exceeded_total")}) > 0`,
                "15m",
                `${about(t)}: {{ $value | humanize }} requests rate limited in the last 5 minutes`,
                "rate_limit_exceeded_total has kept rising for 15 minutes: clients get 429 Too Many Requests from the per-namespace QPS limiter.",
            ),
            scrapeTargetDown(t),
            volumeFilling(t),
            ...backupRules(t, a.backup),
            ...snapshotRules(t, a.snapshots),
        ],
    };
}

export function agencyTenantRules(a: { tenant: string; namespace: string; hpa: string; queueLengthTarget: number; backup?: BackupWatch }): RuleGroup {
    const queue = `avg by (namespace) (${selector("queue_length", { namespace: a.namespace })}) > ${a.queueLengthTarget}`;
    const t = { name: `agency tenant ${a.tenant}`, namespace: a.namespace };
    return {
        name: `agency-${a.tenant}`,
        rules: [
            rule(
                "AgencyTenantSaturated",
                "warning",
                `(${hpaAtMax(a.namespace, a.hpa)}) and on (namespace) (${queue})`,
                "10m",
                `${about(t)}: at its maximum of {{ $value }} agent replicas with queue_length above ${a.queueLengthTarget} per pod`,
                `The tenant's HPA cannot add agents and the pending tasks per pod stay above the target (${a.queueLengthTarget}) for 10 minutes: tasks wait longer and longer.`,
            ),
            scrapeTargetDown(t),
            volumeFilling(t),
            ...backupRules(t, a.backup),
        ],
    };
}

// ---------------------------------------------------------------------------------------
// The PrometheusRule

export interface AlertRulesArgs {
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    group: RuleGroup;
}

/**
 * The tier's rule group as a PrometheusRule in its own namespace, so the rules live and go
 * with the tier (an offboarded tenant's with it), and a Prometheus that scopes each
 * PrometheusRule to its namespace (`enforcedNamespaceLabel`) evaluates them unchanged.
 */
export function alertRules(parent: pulumi.Resource, resourceName: string, args: AlertRulesArgs) {
    return new k8s.apiextensions.CustomResource(
        resourceName,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: `${args.group.name}-alerts`, namespace: args.namespace, labels: args.labels },
            spec: { groups: [args.group] },
        },
        { parent },
    );
}
