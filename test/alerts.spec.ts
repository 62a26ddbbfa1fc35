// The alert rules' structure, without promtool (test/rules/promtool.spec.ts evaluates them):
// one PrometheusRule per tier namespace, scoped to that namespace, each alert with its
// severity, summary and runbook anchor in the README, and a firing and a silent promtool
// case for every alert.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AlertRule, RuleGroup, runbookAnchor } from "../components/alerts";
import { CapturedResource, CapturedStack, PROD_SECRETS, capturePreview, captureStack, label, ofKind, workloads } from "./harness";
import { TEMPLATE, casesFor } from "./rules/cases";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

interface Placed {
    resource: CapturedResource;
    namespace: string;
    group: RuleGroup;
}

function ruleGroups(stack: CapturedStack): Placed[] {
    return ofKind(stack, "PrometheusRule").map((r) => {
        assert.strictEqual(r.props.spec.groups.length, 1, `${label(r)} holds one group`);
        return { resource: r, namespace: r.props.metadata.namespace, group: r.props.spec.groups[0] };
    });
}

function rulesOf(stack: CapturedStack, group: string): AlertRule[] {
    const found = ruleGroups(stack).find((g) => g.group.name === group);
    assert.ok(found, `no rule group ${group}`);
    return found.group.rules;
}

function exprOf(stack: CapturedStack, group: string, alert: string): string {
    const r = rulesOf(stack, group).find((x) => x.alert === alert);
    assert.ok(r, `no ${alert} in ${group}`);
    return r.expr;
}

/** The namespaces an expression's selectors name. */
function namespacesIn(expr: string): string[] {
    return [...expr.matchAll(/\bnamespace=~?"([^"]*)"/g)].map((m) => m[1]);
}

/** The README's Alerts section (under Operations), up to the next section of its level or above. */
function alertsSection(): string {
    const start = README.indexOf("\n### Alerts\n");
    assert.ok(start >= 0, "README has no '### Alerts' section");
    assert.ok(README.lastIndexOf("\n## Operations\n", start) >= 0, "the Alerts section sits under Operations");
    const rest = README.slice(start + 1);
    const end = rest.slice(1).search(/\n##{1,2} /);
    return end < 0 ? rest : rest.slice(0, end + 1);
}

const REQUIRED: Record<string, string[]> = {
    tigerbeetle: ["TigerBeetleBelowQuorum", "TigerBeetleReplicasNotReady", "PersistentVolumeFilling"],
    connector: ["ConnectorNoReadyEndpoints", "ScrapeTargetDown"],
    "agent-runtime": ["AgentRuntimeNoReadyEndpoints"],
    "business-logic": ["BusinessLogicHpaAtMax", "PersistentVolumeFilling"],
    agentstate: ["AgentStatePutLatencyHigh", "AgentStateErrorRatioHigh", "AgentStateWatchDrops", "AgentStateRateLimited", "ScrapeTargetDown", "PersistentVolumeFilling"],
    "agency-client-a": ["AgencyTenantSaturated", "ScrapeTargetDown", "PersistentVolumeFilling"],
    "agency-client-b": ["AgencyTenantSaturated", "ScrapeTargetDown", "PersistentVolumeFilling"],
};

describe("alert rules", function () {
    this.timeout(60000);
    let prod: CapturedStack;

    before(async () => {
        prod = await captureStack("prod");
    });

    it("prod has one PrometheusRule per namespace with workloads, in it, created by its tier", () => {
        const placed = ruleGroups(prod);
        const withWorkloads = [...new Set(workloads(prod).map((w) => w.props.metadata.namespace))].sort();
        assert.deepStrictEqual(placed.map((p) => p.namespace).sort(), withWorkloads);
        assert.deepStrictEqual(placed.map((p) => p.group.name).sort(), Object.keys(REQUIRED).sort());
        const tiers: Record<string, string> = {
            tigerbeetle: "TigerBeetleCluster",
            connector: "Connector",
            "agent-runtime": "AgentRuntime",
            "business-logic": "BusinessLogic",
            agentstate: "AgentState",
        };
        for (const { resource, group } of placed) {
            assert.strictEqual(resource.props.apiVersion, "monitoring.coreos.com/v1");
            assert.strictEqual(resource.props.metadata.name, `${group.name}-alerts`);
            assert.strictEqual(resource.props.metadata.labels["app.kubernetes.io/part-of"], "m2m-platform");
            assert.strictEqual(resource.props.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
            const component = tiers[group.name] ?? "AgencyTenant";
            assert.match(resource.parent ?? "", new RegExp(`::m2m:platform:${component}::`), `${label(resource)} is a child of its ${component}`);
        }
    });

    it("has at least the issue's alerts in each tier's group", () => {
        for (const [group, alerts] of Object.entries(REQUIRED)) {
            const names = rulesOf(prod, group).map((r) => r.alert);
            for (const a of alerts) {
                assert.ok(names.includes(a), `${group} lacks ${a} (has ${names.join(", ")})`);
            }
            assert.strictEqual(new Set(names).size, names.length, `${group}: alert names are unique`);
        }
    });

    it("gives every alert a severity, a for duration, a summary, a description and its README runbook", () => {
        for (const { group } of ruleGroups(prod)) {
            for (const r of group.rules) {
                const at = `${group.name}/${r.alert}`;
                assert.match(r.alert, /^[A-Z][A-Za-z]+$/, at);
                assert.ok(["critical", "warning"].includes(r.labels.severity), `${at}: severity ${r.labels.severity}`);
                assert.match(r.for ?? "", /^\d+m$/, `${at}: for`);
                assert.deepStrictEqual(Object.keys(r.annotations).sort(), ["description", "runbook_url", "summary"], at);
                assert.ok(r.annotations.summary.length > 10 && r.annotations.description.length > 20, at);
                assert.strictEqual(r.annotations.runbook_url, `README.md#${runbookAnchor(r.alert)}`, at);
                for (const text of Object.values(r.annotations)) {
                    assert.ok(!text.replace(TEMPLATE, "").includes("{{"), `${at}: only the templates test/rules/cases.ts renders: ${text}`);
                }
            }
        }
    });

    it("scopes every expression to its own tier's namespace", () => {
        for (const { namespace, group } of ruleGroups(prod)) {
            for (const r of group.rules) {
                if (r.alert.startsWith("Backup")) {
                    // Velero's metrics carry its own namespace: the Schedule, named after the tier's namespace, scopes them.
                    assert.deepStrictEqual([...new Set([...r.expr.matchAll(/schedule="([^"]*)"/g)].map((m) => m[1]))], [namespace], `${group.name}/${r.alert}: ${r.expr}`);
                    continue;
                }
                const named = namespacesIn(r.expr);
                assert.ok(named.length > 0, `${group.name}/${r.alert} names no namespace: ${r.expr}`);
                assert.deepStrictEqual([...new Set(named)], [namespace], `${group.name}/${r.alert}: ${r.expr}`);
            }
        }
    });

    it("documents every alert in the README's Alerts section, with its severity and an anchor the runbook_url points at", () => {
        const section = alertsSection();
        const alerts = new Map<string, Set<string>>();
        for (const { group } of ruleGroups(prod)) {
            for (const r of group.rules) {
                alerts.set(r.alert, (alerts.get(r.alert) ?? new Set()).add(r.labels.severity));
            }
        }
        for (const [alert, severities] of alerts) {
            const anchor = runbookAnchor(alert);
            assert.ok(section.includes(`<a id="${anchor}"></a>`), `README: no <a id="${anchor}"></a> for ${alert}`);
            const row = section.split("\n").find((l) => l.startsWith(`| [\`${alert}\`](#${anchor}) |`));
            assert.ok(row, `README: no table row for ${alert}`);
            for (const s of severities) {
                assert.ok(row.includes(s), `README: ${alert}'s row says ${s}`);
            }
        }
        const documented = [...section.matchAll(/<a id="(alert-[a-z-]+)"><\/a>/g)].map((m) => m[1]);
        assert.deepStrictEqual(documented.filter((a) => ![...alerts.keys()].some((x) => runbookAnchor(x) === a)), [], "README documents alerts that no rule has");
    });

    it("has a firing and a silent promtool case for every alert, and no case for an alert that does not exist", () => {
        for (const { namespace, group } of ruleGroups(prod)) {
            const cases = casesFor({ group: group.name, namespace, config: prod.config });
            const names = group.rules.map((r) => r.alert);
            for (const a of names) {
                assert.ok(cases.some((c) => c.alert === a && c.fires.length > 0), `${group.name}/${a}: no firing case in test/rules/cases.ts`);
                assert.ok(cases.some((c) => c.alert === a && c.fires.length === 0), `${group.name}/${a}: no silent case in test/rules/cases.ts`);
            }
            assert.deepStrictEqual(cases.filter((c) => !names.includes(c.alert)).map((c) => c.alert), [], `${group.name}: cases for alerts it does not have`);
        }
    });

    it("holds TigerBeetle's thresholds to its quorum and replica count", async () => {
        assert.match(exprOf(prod, "tigerbeetle", "TigerBeetleBelowQuorum"), /\{namespace="tigerbeetle", statefulset="tigerbeetle"\} < 2$/);
        assert.match(exprOf(prod, "tigerbeetle", "TigerBeetleReplicasNotReady"), /\} < 3$/);
        const five = await captureStack("prod", { tigerbeetle: { replicas: 5 } });
        assert.match(exprOf(five, "tigerbeetle", "TigerBeetleBelowQuorum"), /\} < 3$/);
        assert.match(exprOf(five, "tigerbeetle", "TigerBeetleReplicasNotReady"), /\} < 5$/);
        const one = await captureStack("dev", { monitoring: { alertRules: true } });
        assert.deepStrictEqual(rulesOf(one, "tigerbeetle").map((r) => r.alert), ["TigerBeetleBelowQuorum", "PersistentVolumeFilling"]);
        assert.match(exprOf(one, "tigerbeetle", "TigerBeetleBelowQuorum"), /\} < 1$/);
    });

    it("follows a namespace prefix and per-tier namespaces", async () => {
        const staging = await captureStack("prod", { namespacePrefix: "staging-", namespaces: { agentState: "state" } });
        const byGroup = Object.fromEntries(ruleGroups(staging).map((p) => [p.group.name, p]));
        assert.strictEqual(byGroup.tigerbeetle.namespace, "staging-tigerbeetle");
        assert.strictEqual(byGroup.agentstate.namespace, "state");
        assert.strictEqual(byGroup["agency-client-b"].namespace, "staging-client-b");
        for (const { namespace, group } of Object.values(byGroup)) {
            assert.ok(group.rules.every((r) => namespacesIn(r.expr).every((n) => n === namespace)), group.name);
        }
        assert.match(exprOf(staging, "agency-client-b", "AgencyTenantSaturated"), /queue_length\{namespace="staging-client-b"\}/);
    });

    it("follows the tiers' settings: the tenants' queue target, the database mode", async () => {
        assert.match(exprOf(prod, "agency-client-a", "AgencyTenantSaturated"), /queue_length\{namespace="client-a"\}\) > 5\)$/);
        const tuned = await captureStack(
            "prod",
            { agency: { hpa: { queueLengthTarget: 8 } }, businessLogic: { database: { mode: "external" } } },
            { secrets: { ...PROD_SECRETS, businessLogicDatabaseUrl: "postgres://u:p@db.example.com:5432/app" } },
        );
        assert.match(exprOf(tuned, "agency-client-a", "AgencyTenantSaturated"), /\) > 8\)$/);
        assert.deepStrictEqual(rulesOf(tuned, "business-logic").map((r) => r.alert), ["BusinessLogicHpaAtMax"], "no claim, no volume alert");
    });

    it("is off in dev by default (no Prometheus Operator there) and when monitoring.alertRules is false", async () => {
        assert.deepStrictEqual(ofKind(await captureStack("dev"), "PrometheusRule"), []);
        assert.deepStrictEqual(ofKind(await captureStack("prod", { monitoring: { alertRules: false } }), "PrometheusRule"), []);
        assert.strictEqual(prod.config.alertRules, true);
    });

    it("knows every rule in a preview", async () => {
        const preview = await capturePreview("prod");
        const rules = ofKind(preview, "PrometheusRule");
        assert.strictEqual(rules.length, ruleGroups(prod).length);
        for (const r of rules) {
            assert.deepStrictEqual(r.unknownPaths, [], label(r));
        }
        assert.deepStrictEqual(
            rules.map((r) => r.props.spec),
            ofKind(prod, "PrometheusRule").map((r) => r.props.spec),
        );
    });
});
