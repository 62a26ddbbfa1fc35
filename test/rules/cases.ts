// Unit cases for every alert rule, for `promtool test rules` (test/rules/promtool.spec.ts):
// input series and the alerts expected at one evaluation time, firing and silent, per
// rule group. The series use the group's actual namespace and object names, taken from
// the captured stack, so a rule scoped to the wrong namespace or object fails its case.
// test/alerts.spec.ts checks (without promtool) that every alert has both kinds of case.
import { selector } from "../../components/alerts";
import { PlatformConfig } from "../../config";

export interface Series {
    series: string;
    values: string;
}

export interface ExpectedAlert {
    /** Every label of the alert but `alertname`: the series' labels the expression keeps, and the rule's. */
    labels: Record<string, string>;
    /** How `{{ $value }}` (with its formatting function) renders in the annotations. */
    value?: string;
}

export interface AlertCase {
    alert: string;
    /** What the case shows. */
    name: string;
    series: Series[];
    /** When the alerts are evaluated; samples are one minute apart from 0m. */
    evalTime: string;
    /** The alerts firing at evalTime: none for a silent case. */
    fires: ExpectedAlert[];
}

/** A rule group as the captured stack holds it: where it lives, and the config it came from. */
export interface GroupContext {
    group: string;
    namespace: string;
    config: PlatformConfig;
}

const series = (metric: string, labels: Record<string, string>, values: string): Series => ({ series: selector(metric, labels), values });
const warning = (labels: Record<string, string>) => ({ ...labels, severity: "warning" });
const critical = (labels: Record<string, string>) => ({ ...labels, severity: "critical" });

/** Another namespace, whose series no rule of the group may see. */
const OTHER = "some-other-namespace";

function scrapeTargetDown(namespace: string, pod: string): AlertCase[] {
    const target = (ns: string, values: string) => series("up", { job: "kubernetes-pods", namespace: ns, pod, instance: "10.0.0.5:9100" }, values);
    return [
        {
            alert: "ScrapeTargetDown",
            name: "a target down for 5 minutes fires",
            series: [target(namespace, "1 1 0x10")],
            evalTime: "10m",
            fires: [{ labels: warning({ job: "kubernetes-pods", namespace, pod, instance: "10.0.0.5:9100" }) }],
        },
        { alert: "ScrapeTargetDown", name: "a target down for 3 minutes is pending, not firing", series: [target(namespace, "1x6 0x4")], evalTime: "9m", fires: [] },
        { alert: "ScrapeTargetDown", name: "targets up here and one down elsewhere stay silent", series: [target(namespace, "1x10"), target(OTHER, "0x10")], evalTime: "10m", fires: [] },
    ];
}

function volumeFilling(namespace: string, claim: string): AlertCase[] {
    const volume = (ns: string, used: number) => [
        series("kubelet_volume_stats_used_bytes", { namespace: ns, persistentvolumeclaim: claim, node: "node-1" }, `${used}x15`),
        series("kubelet_volume_stats_capacity_bytes", { namespace: ns, persistentvolumeclaim: claim, node: "node-1" }, "100x15"),
    ];
    return [
        {
            alert: "PersistentVolumeFilling",
            name: "a claim 85 % full fires",
            series: volume(namespace, 85),
            evalTime: "10m",
            fires: [{ labels: warning({ namespace, persistentvolumeclaim: claim }), value: "85%" }],
        },
        { alert: "PersistentVolumeFilling", name: "a claim 70 % full stays silent", series: volume(namespace, 70), evalTime: "10m", fires: [] },
        { alert: "PersistentVolumeFilling", name: "a full claim in another namespace stays silent", series: volume(OTHER, 95), evalTime: "10m", fires: [] },
    ];
}

function noReadyEndpoints(alert: string, namespace: string, service: string): AlertCase[] {
    const info = (svc: string) => series("kube_endpoint_info", { namespace, endpoint: svc }, "1x10");
    const address = (svc: string, ip: string, ready: boolean) => series("kube_endpoint_address", { namespace, endpoint: svc, ip, ready: String(ready) }, "1x10");
    return [
        {
            alert,
            name: "endpoints with only unready addresses fire",
            series: [info(service), address(service, "10.1.0.1", false), address(service, "10.1.0.2", false)],
            evalTime: "5m",
            fires: [{ labels: critical({ namespace, endpoint: service }) }],
        },
        { alert, name: "endpoints without any address fire", series: [info(service)], evalTime: "5m", fires: [{ labels: critical({ namespace, endpoint: service }) }] },
        { alert, name: "one ready address keeps it silent", series: [info(service), address(service, "10.1.0.1", false), address(service, "10.1.0.2", true)], evalTime: "5m", fires: [] },
        { alert, name: "another Service without ready addresses stays silent", series: [info("another-service"), address("another-service", "10.1.0.3", false)], evalTime: "5m", fires: [] },
    ];
}

function hpaAtMax(namespace: string, hpa: string, max: number, current: string): Series[] {
    const labels = { namespace, horizontalpodautoscaler: hpa };
    return [series("kube_horizontalpodautoscaler_status_current_replicas", labels, current), series("kube_horizontalpodautoscaler_spec_max_replicas", labels, `${max}x30`)];
}

/** The backup alerts of a namespace whose Velero Schedule is named after it (with `backups`). */
function backups(namespace: string, config: PlatformConfig): AlertCase[] {
    if (!config.backups) {
        return [];
    }
    const velero = (metric: string, schedule: string, values: string) => series(metric, { namespace: "velero", schedule }, values);
    const failed = { namespace: "velero", schedule: namespace };
    // Samples are a minute apart: the last good backup's timestamp (in seconds) from 0m on.
    const overdueMinutes = (2 * config.backups.periodSeconds) / 60;
    const at = overdueMinutes + 60;
    const lastGood = (fromMinute: number) => velero("velero_backup_last_successful_timestamp", namespace, `0x${fromMinute} ${fromMinute * 60}x${at - fromMinute + 5}`);
    return [
        { alert: "BackupFailed", name: "a failed backup fires", series: [velero("velero_backup_failure_total", namespace, "0x10 1x20")], evalTime: "15m", fires: [{ labels: warning(failed) }] },
        { alert: "BackupFailed", name: "a partly failed backup fires", series: [velero("velero_backup_partial_failure_total", namespace, "0x10 1x20")], evalTime: "15m", fires: [{ labels: warning(failed) }] },
        { alert: "BackupFailed", name: "failures long ago stay silent", series: [velero("velero_backup_failure_total", namespace, "3x90")], evalTime: "80m", fires: [] },
        { alert: "BackupFailed", name: "another Schedule's failure stays silent", series: [velero("velero_backup_failure_total", OTHER, "0x10 1x20")], evalTime: "15m", fires: [] },
        {
            alert: "BackupOverdue",
            name: "no good backup for over twice the interval fires",
            series: [velero("velero_backup_last_successful_timestamp", namespace, `0x${at + 5}`)],
            evalTime: `${at}m`,
            fires: [{ labels: critical({ namespace: "velero", schedule: namespace }), value: humanizeDuration(at * 60) }],
        },
        { alert: "BackupOverdue", name: "a good backup within twice the interval stays silent", series: [lastGood(at - overdueMinutes + 30)], evalTime: `${at}m`, fires: [] },
        { alert: "BackupOverdue", name: "another Schedule overdue stays silent", series: [velero("velero_backup_last_successful_timestamp", OTHER, `0x${at + 5}`)], evalTime: `${at}m`, fires: [] },
    ];
}

/** AgentState's snapshot CronJob alerts (with agentState.snapshots). */
function agentStateSnapshots(namespace: string, config: PlatformConfig): AlertCase[] {
    const snapshots = config.agentState.snapshots;
    if (!snapshots) {
        return [];
    }
    const failed = (job: string, values: string, ns = namespace) => series("kube_job_status_failed", { namespace: ns, job_name: job, reason: "BackoffLimitExceeded" }, values);
    const lastGood = (values: string, cronjob = "agentstate-snapshot") => series("kube_cronjob_status_last_successful_time", { namespace, cronjob }, values);
    const at = (2 * snapshots.periodSeconds) / 60 + 60;
    return [
        { alert: "AgentStateSnapshotFailed", name: "a failed run fires", series: [failed("agentstate-snapshot-29000000", "0x3 1x10")], evalTime: "8m", fires: [{ labels: warning({ namespace, job_name: "agentstate-snapshot-29000000" }) }] },
        { alert: "AgentStateSnapshotFailed", name: "runs that succeeded stay silent", series: [failed("agentstate-snapshot-29000000", "0x15")], evalTime: "8m", fires: [] },
        { alert: "AgentStateSnapshotFailed", name: "another job's failure stays silent", series: [failed("other-29000000", "1x15"), failed("agentstate-snapshot-1", "1x15", OTHER)], evalTime: "8m", fires: [] },
        {
            alert: "AgentStateSnapshotOverdue",
            name: "no good run for over twice the interval fires",
            series: [lastGood(`0x${at + 5}`)],
            evalTime: `${at}m`,
            fires: [{ labels: warning({ namespace, cronjob: "agentstate-snapshot" }), value: humanizeDuration(at * 60) }],
        },
        { alert: "AgentStateSnapshotOverdue", name: "a good run within the interval stays silent", series: [lastGood(`0x${at - 60} ${(at - 60) * 60}x70`)], evalTime: `${at}m`, fires: [] },
        { alert: "AgentStateSnapshotOverdue", name: "another CronJob overdue stays silent", series: [lastGood(`0x${at + 5}`, "other")], evalTime: `${at}m`, fires: [] },
    ];
}

/** Prometheus's humanizeDuration of whole seconds: `2d 1h 0m 0s`. */
function humanizeDuration(seconds: number): string {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return d > 0 ? `${d}d ${h}h ${m}m ${s}s` : h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function tigerbeetle({ namespace, config }: GroupContext): AlertCase[] {
    const n = config.tigerbeetle.replicas;
    const quorum = Math.floor(n / 2) + 1;
    const ready = (values: string, statefulset = "tigerbeetle") => series("kube_statefulset_status_replicas_ready", { namespace, statefulset }, values);
    const labels = { namespace, statefulset: "tigerbeetle" };
    const belowQuorum: AlertCase[] = [
        {
            alert: "TigerBeetleBelowQuorum",
            name: `${quorum - 1} of ${n} ready for 3 minutes fires`,
            series: [ready(`${n}x2 ${quorum - 1}x10`)],
            evalTime: "6m",
            fires: [{ labels: critical(labels), value: String(quorum - 1) }],
        },
        { alert: "TigerBeetleBelowQuorum", name: `${quorum} of ${n} ready (quorum) stays silent`, series: [ready(`${n}x2 ${quorum}x10`)], evalTime: "10m", fires: [] },
        { alert: "TigerBeetleBelowQuorum", name: "below quorum for less than a minute is pending, not firing", series: [ready(`${n}x2 ${quorum - 1}x10`)], evalTime: "3m", fires: [] },
        { alert: "TigerBeetleBelowQuorum", name: "another StatefulSet at 0 ready stays silent", series: [ready(`${n}x10`), ready("0x10", "other")], evalTime: "10m", fires: [] },
    ];
    const notReady: AlertCase[] =
        n > quorum
            ? [
                  {
                      alert: "TigerBeetleReplicasNotReady",
                      name: `${n - 1} of ${n} ready for 12 minutes fires`,
                      series: [ready(`${n}x2 ${n - 1}x20`)],
                      evalTime: "15m",
                      fires: [{ labels: warning(labels), value: String(n - 1) }],
                  },
                  { alert: "TigerBeetleReplicasNotReady", name: "a replica back after 5 minutes stays silent", series: [ready(`${n}x2 ${n - 1}x5 ${n}x15`)], evalTime: "15m", fires: [] },
                  { alert: "TigerBeetleReplicasNotReady", name: "every replica ready stays silent", series: [ready(`${n}x20`)], evalTime: "15m", fires: [] },
              ]
            : [];
    return [...belowQuorum, ...notReady, ...volumeFilling(namespace, "data-tigerbeetle-0"), ...backups(namespace, config)];
}

function connector({ namespace }: GroupContext): AlertCase[] {
    return [...noReadyEndpoints("ConnectorNoReadyEndpoints", namespace, "connector"), ...scrapeTargetDown(namespace, "connector-7d9f8-abcde")];
}

function agentRuntime({ namespace }: GroupContext): AlertCase[] {
    return noReadyEndpoints("AgentRuntimeNoReadyEndpoints", namespace, "agent-runtime");
}

function businessLogic({ namespace, config }: GroupContext): AlertCase[] {
    const max = config.businessLogic.hpa.maxReplicas;
    const hpa = "business-logic-hpa";
    return [
        {
            alert: "BusinessLogicHpaAtMax",
            name: "at the maximum for 20 minutes fires",
            series: hpaAtMax(namespace, hpa, max, `${max}x30`),
            evalTime: "20m",
            fires: [{ labels: warning({ namespace, horizontalpodautoscaler: hpa }), value: String(max) }],
        },
        { alert: "BusinessLogicHpaAtMax", name: "at the maximum for 10 minutes stays silent", series: hpaAtMax(namespace, hpa, max, `${max - 5}x9 ${max}x20`), evalTime: "20m", fires: [] },
        { alert: "BusinessLogicHpaAtMax", name: "below the maximum stays silent", series: hpaAtMax(namespace, hpa, max, `${max - 1}x30`), evalTime: "20m", fires: [] },
        { alert: "BusinessLogicHpaAtMax", name: "another HPA at its maximum stays silent", series: hpaAtMax(namespace, "another-hpa", max, `${max}x30`), evalTime: "20m", fires: [] },
        ...(config.businessLogic.database.mode === "postgres" ? [...volumeFilling(namespace, "data-postgres-0"), ...backups(namespace, config)] : []),
    ];
}

function agentState({ namespace, config }: GroupContext): AlertCase[] {
    const ns = { namespace };
    const pod = { namespace, pod: "agentstate-0" };
    /** PUT (or another op) latency histogram with one observation a second, all in the bucket ending at `le`. */
    const latency = (op: string, le: number) =>
        ["0.005", "0.01", "0.025", "0.05", "+Inf"].map((b) => series("op_duration_seconds_bucket", { ...pod, op, le: b }, b === "+Inf" || Number(b) >= le ? "0+60x30" : "0x30"));
    const ops = (okPerMinute: number, errorsPerMinute: number) => [
        series("agentstate_ops_total", { ...pod, result: "ok" }, `0+${okPerMinute}x30`),
        series("agentstate_ops_total", { ...pod, result: "error" }, `0+${errorsPerMinute}x30`),
    ];
    return [
        {
            alert: "AgentStateDown",
            name: "not ready for 9 minutes fires",
            series: [series("kube_statefulset_status_replicas_ready", { namespace, statefulset: "agentstate" }, "1 0x10")],
            evalTime: "10m",
            fires: [{ labels: critical({ namespace, statefulset: "agentstate" }) }],
        },
        { alert: "AgentStateDown", name: "ready stays silent", series: [series("kube_statefulset_status_replicas_ready", { namespace, statefulset: "agentstate" }, "1x10")], evalTime: "10m", fires: [] },
        {
            alert: "AgentStatePutLatencyHigh",
            name: "PUTs between 10 and 25 ms (p95 24.25 ms) fire",
            series: latency("put", 0.025),
            evalTime: "20m",
            fires: [{ labels: warning(ns), value: "24.25ms" }],
        },
        { alert: "AgentStatePutLatencyHigh", name: "PUTs under 10 ms stay silent", series: latency("put", 0.01), evalTime: "20m", fires: [] },
        { alert: "AgentStatePutLatencyHigh", name: "slow GETs stay silent", series: latency("get", 0.05), evalTime: "20m", fires: [] },
        { alert: "AgentStateErrorRatioHigh", name: "2 % errors fire", series: ops(98, 2), evalTime: "20m", fires: [{ labels: warning(ns), value: "2%" }] },
        { alert: "AgentStateErrorRatioHigh", name: "0.5 % errors stay silent", series: ops(199, 1), evalTime: "20m", fires: [] },
        {
            alert: "AgentStateWatchDrops",
            name: "drops every minute for 25 minutes fire",
            series: [series("watch_drops_total", pod, "0+10x30")],
            evalTime: "25m",
            fires: [{ labels: warning(ns), value: "50" }],
        },
        { alert: "AgentStateWatchDrops", name: "a one-off burst of drops stays silent", series: [series("watch_drops_total", pod, "0x5 50x25")], evalTime: "25m", fires: [] },
        { alert: "AgentStateWatchDrops", name: "no drops stay silent", series: [series("watch_drops_total", pod, "7x30")], evalTime: "25m", fires: [] },
        {
            alert: "AgentStateWatchEmitLagHigh",
            name: "a 500 ms lag for 15 minutes fires",
            series: [series("watch_emit_lag_seconds", pod, "0.5x20")],
            evalTime: "15m",
            fires: [{ labels: warning(ns), value: "500ms" }],
        },
        { alert: "AgentStateWatchEmitLagHigh", name: "a 100 ms lag stays silent", series: [series("watch_emit_lag_seconds", pod, "0.1x20")], evalTime: "15m", fires: [] },
        {
            alert: "AgentStateRateLimited",
            name: "requests limited every minute for 25 minutes fire",
            series: [series("rate_limit_exceeded_total", pod, "0+5x30")],
            evalTime: "25m",
            fires: [{ labels: warning(ns), value: "25" }],
        },
        { alert: "AgentStateRateLimited", name: "no limited requests stay silent", series: [series("rate_limit_exceeded_total", pod, "3x30")], evalTime: "25m", fires: [] },
        ...scrapeTargetDown(namespace, "agentstate-0"),
        ...volumeFilling(namespace, "data-agentstate-0"),
        ...backups(namespace, config),
        ...agentStateSnapshots(namespace, config),
    ];
}

function agencyTenant({ namespace, config }: GroupContext): AlertCase[] {
    const { maxReplicas: max, queueLengthTarget: target } = config.agency.hpa;
    const hpa = "agent-hpa";
    const queue = (ns: string, perPod: number[]) => perPod.map((q, i) => series("queue_length", { namespace: ns, pod: `agent-${i}` }, `${q}x30`));
    const above = [target + 3, target + 1];
    const below = [target - 1, target - 1];
    return [
        {
            alert: "AgencyTenantSaturated",
            name: `at the maximum with ${target + 2} tasks per pod fires`,
            series: [...hpaAtMax(namespace, hpa, max, `${max}x30`), ...queue(namespace, above)],
            evalTime: "15m",
            fires: [{ labels: warning({ namespace, horizontalpodautoscaler: hpa }), value: String(max) }],
        },
        { alert: "AgencyTenantSaturated", name: "at the maximum with the queue under target stays silent", series: [...hpaAtMax(namespace, hpa, max, `${max}x30`), ...queue(namespace, below)], evalTime: "15m", fires: [] },
        { alert: "AgencyTenantSaturated", name: "a long queue below the maximum (still scaling) stays silent", series: [...hpaAtMax(namespace, hpa, max, `${max - 1}x30`), ...queue(namespace, above)], evalTime: "15m", fires: [] },
        {
            alert: "AgencyTenantSaturated",
            name: "another tenant's long queue stays silent",
            series: [...hpaAtMax(namespace, hpa, max, `${max}x30`), ...queue(namespace, below), ...queue(OTHER, above)],
            evalTime: "15m",
            fires: [],
        },
        ...scrapeTargetDown(namespace, "agent-0"),
        ...volumeFilling(namespace, "agent-agent-0"),
        ...backups(namespace, config),
    ];
}

/** The cases of a rule group, by its name (`agency-<tenant>` for each tenant). */
export function casesFor(ctx: GroupContext): AlertCase[] {
    const byGroup: Record<string, (c: GroupContext) => AlertCase[]> = {
        tigerbeetle,
        connector,
        "agent-runtime": agentRuntime,
        "business-logic": businessLogic,
        agentstate: agentState,
    };
    const cases = ctx.group.startsWith("agency-") ? agencyTenant : byGroup[ctx.group];
    if (!cases) {
        throw new Error(`no promtool cases for rule group ${ctx.group}: add them to test/rules/cases.ts`);
    }
    return cases(ctx);
}

/**
 * An alert's annotations as Prometheus renders them for `expected`: `{{ $labels.x }}` is the
 * label's value, `{{ $value ... }}` the case's rendered value. The rules use no other template.
 */
export function renderAnnotations(annotations: Record<string, string>, expected: ExpectedAlert): Record<string, string> {
    return Object.fromEntries(
        Object.entries(annotations).map(([k, v]) => [
            k,
            v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => expected.labels[l] ?? "<no value>").replace(/\{\{ \$value( \| \w+)? \}\}/g, () => expected.value ?? "<no value>"),
        ]),
    );
}

/** The templates `renderAnnotations` understands; a spec holds every annotation to them. */
export const TEMPLATE = /\{\{ (\$labels\.\w+|\$value( \| (humanize|humanizePercentage|humanizeDuration))?) \}\}/g;
