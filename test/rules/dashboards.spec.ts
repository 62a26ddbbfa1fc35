// `npm run test:rules`, the dashboards' half: every PromQL expression of every panel of the
// prod stack's Grafana dashboards (captured under mocks), written out as a recording rule,
// one rule group per dashboard, and parsed by `promtool check rules`: an expression that does
// not parse, or applies a function to the wrong type, fails the suite.
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { captureStack, stackConfig } from "../harness";
import { PlacedDashboard, dashboardsOf, queriesOf } from "../dashboardQueries";
import { promtool, requirePromtool } from "./tool";

/** The dashboard as a rule group: `dashboard:<uid>:<panel>_<target>` records each expression. */
function asRuleGroup(d: PlacedDashboard) {
    const uid = d.uid.replace(/[^A-Za-z0-9_]/g, "_");
    const rules = d.json.panels.flatMap((p: any, i: number) => p.targets.map((t: any, j: number) => ({ record: `dashboard:${uid}:panel${i + 1}_${t.refId ?? j}`, expr: t.expr })));
    return { name: `dashboard-${d.uid}`, rules };
}

function writeRules(dir: string, file: string, groups: object[]): string {
    fs.writeFileSync(path.join(dir, file), yaml.dump({ groups }, { lineWidth: -1, noRefs: true }));
    return file;
}

// The dashboards the prod stack must hold, known before the capture so that each is a test.
const config = stackConfig("prod");
const UIDS = ["tigerbeetle", "connector", "agent-runtime", "business-logic", "agentstate", ...config.agency.tenants.map((t) => `agency-${t}`)];

describe("dashboard expressions under promtool", function () {
    this.timeout(120000);
    let dir: string;
    const dashboards = new Map<string, PlacedDashboard>();

    before(async () => {
        requirePromtool();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-dashboards-"));
        for (const d of dashboardsOf(await captureStack("prod"))) {
            dashboards.set(d.uid, d);
        }
        assert.deepStrictEqual([...dashboards.keys()].sort(), [...UIDS].sort(), "the prod stack's dashboards");
    });

    after(() => {
        if (dir && !process.env.M2M_KEEP_RULES) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("rejects an expression that does not parse (the check can fail)", () => {
        const file = writeRules(dir, "broken.rules.yaml", [{ name: "broken", rules: [{ record: "dashboard:broken", expr: 'sum(rate(up{namespace="x"}[5m])' }] }]);
        const r = promtool(["check", "rules", file], dir);
        assert.notStrictEqual(r.status, 0, r.output);
        assert.match(r.output, /parse|unclosed|unexpected/i);
    });

    for (const uid of UIDS) {
        it(`${uid}: every panel's expressions pass promtool check rules`, () => {
            const d = dashboards.get(uid);
            assert.ok(d, `no dashboard ${uid} in the prod stack`);
            const group = asRuleGroup(d);
            assert.strictEqual(group.rules.length, queriesOf(d).length);
            const file = writeRules(dir, `dashboard-${uid}.rules.yaml`, [group]);
            const r = promtool(["check", "rules", file], dir);
            assert.strictEqual(r.status, 0, `promtool check rules ${file} (M2M_KEEP_RULES=1 keeps ${dir}):\n${r.output}`);
            assert.ok(!/WARNING/i.test(r.output), r.output);
            assert.match(r.output, new RegExp(`SUCCESS: ${group.rules.length} rules found`));
        });
    }
});
