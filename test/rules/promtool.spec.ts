// `npm run test:rules`: the prod stack's alert rules (captured under mocks) written out as
// Prometheus rule files, checked with `promtool check rules`, and each alert evaluated by
// `promtool test rules` against the firing and silent cases of test/rules/cases.ts.
// It needs promtool (scripts/cluster-toolchain.sh promtool); without it every test fails
// and says how to get it (test/rules/tool.ts). test/rules/dashboards.spec.ts parses the
// dashboards' expressions the same way.
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { RuleGroup } from "../../components/alerts";
import { captureStack, ofKind, stackConfig } from "../harness";
import { AlertCase, GroupContext, casesFor, renderAnnotations } from "./cases";
import { promtool, requirePromtool } from "./tool";

// The groups the prod stack must hold, known before the capture so that each alert is a test.
const config = stackConfig("prod");
const GROUPS: GroupContext[] = [
    { group: "tigerbeetle", namespace: config.tigerbeetle.namespace, config },
    { group: "connector", namespace: config.connector.namespace, config },
    { group: "agent-runtime", namespace: config.agentRuntime.namespace, config },
    { group: "business-logic", namespace: config.businessLogic.namespace, config },
    { group: "agentstate", namespace: config.agentState.namespace, config },
    ...config.agency.tenants.map((t) => ({ group: `agency-${t}`, namespace: `${config.agency.namespacePrefix}${t}`, config })),
];

const ruleFile = (group: string) => `${group}.rules.yaml`;

/** A promtool unit-test file: the group's rule file and one test per case of `alert`. */
function testFile(ctx: GroupContext, group: RuleGroup, alert: string, cases: AlertCase[]): string {
    const rule = group.rules.find((r) => r.alert === alert);
    assert.ok(rule, `rule group ${group.name} has no alert ${alert}`);
    return yaml.dump(
        {
            rule_files: [ruleFile(ctx.group)],
            evaluation_interval: "1m",
            tests: cases.map((c) => ({
                name: `${alert}: ${c.name}`,
                interval: "1m",
                input_series: c.series,
                alert_rule_test: [
                    {
                        eval_time: c.evalTime,
                        alertname: alert,
                        exp_alerts: c.fires.map((e) => ({ exp_labels: e.labels, exp_annotations: renderAnnotations(rule.annotations, e) })),
                    },
                ],
            })),
        },
        { lineWidth: -1, noRefs: true },
    );
}

describe("alert rules under promtool", function () {
    this.timeout(120000);
    let dir: string;
    const groups = new Map<string, RuleGroup>();

    before(async () => {
        requirePromtool();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-alert-rules-"));
        const prod = await captureStack("prod");
        for (const r of ofKind(prod, "PrometheusRule")) {
            const group: RuleGroup = r.props.spec.groups[0];
            groups.set(group.name, group);
            fs.writeFileSync(path.join(dir, ruleFile(group.name)), yaml.dump({ groups: r.props.spec.groups }, { lineWidth: -1, noRefs: true }));
        }
        assert.deepStrictEqual([...groups.keys()].sort(), GROUPS.map((g) => g.group).sort(), "the prod stack's rule groups");
    });

    after(() => {
        if (dir && !process.env.M2M_KEEP_RULES) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("passes promtool check rules, every group", () => {
        const r = promtool(["check", "rules", ...GROUPS.map((g) => ruleFile(g.group))], dir);
        assert.strictEqual(r.status, 0, r.output);
        assert.ok(!/WARNING/i.test(r.output), r.output);
    });

    for (const ctx of GROUPS) {
        const cases = casesFor(ctx);
        for (const alert of [...new Set(cases.map((c) => c.alert))]) {
            const mine = cases.filter((c) => c.alert === alert);
            const firing = mine.filter((c) => c.fires.length > 0).length;
            it(`${ctx.group}: ${alert} (${firing} firing, ${mine.length - firing} silent)`, () => {
                const group = groups.get(ctx.group);
                assert.ok(group, `no rule group ${ctx.group} in the prod stack`);
                const file = `${ctx.group}.${alert}.test.yaml`;
                fs.writeFileSync(path.join(dir, file), testFile(ctx, group, alert, mine));
                const r = promtool(["test", "rules", file], dir);
                assert.strictEqual(r.status, 0, `promtool test rules ${file} (M2M_KEEP_RULES=1 keeps ${dir}):\n${r.output}`);
            });
        }
    }
});
