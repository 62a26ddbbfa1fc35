// The Grafana dashboards a captured stack holds (ConfigMaps labelled for Grafana's sidecar),
// their panels' PromQL expressions, and the series selectors in an expression. Shared by
// test/dashboards.spec.ts (structure, under mocks) and test/rules/dashboards.spec.ts (promtool).
import * as assert from "assert";
import { CapturedResource, CapturedStack, label, ofKind } from "./harness";

export interface PlacedDashboard {
    resource: CapturedResource;
    namespace: string;
    uid: string;
    /** The Grafana JSON model. */
    json: any;
}

export interface PanelQuery {
    panel: string;
    expr: string;
}

/** Every ConfigMap labelled `grafana_dashboard: "1"`, each holding one dashboard. */
export function dashboardsOf(stack: CapturedStack): PlacedDashboard[] {
    return ofKind(stack, "ConfigMap")
        .filter((r) => r.props.metadata.labels?.grafana_dashboard === "1")
        .map((r) => {
            const files = Object.keys(r.props.data ?? {});
            assert.strictEqual(files.length, 1, `${label(r)} holds one dashboard file, has ${files.join(", ")}`);
            const json = JSON.parse(r.props.data[files[0]]);
            return { resource: r, namespace: r.props.metadata.namespace, uid: json.uid, json };
        });
}

/** Every target's expression, with the title of its panel. */
export function queriesOf(d: PlacedDashboard): PanelQuery[] {
    return d.json.panels.flatMap((p: any) => p.targets.map((t: any) => ({ panel: p.title, expr: t.expr })));
}

export interface SeriesSelector {
    metric: string;
    /** Label matchers as written: `namespace="x"` → { namespace: '="x"' }. */
    matchers: Record<string, string>;
}

/** PromQL words that are not series: operators, modifiers and the aggregations' clauses. */
const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/**
 * The series selectors of an expression: each `metric{matchers}`, and each bare metric name
 * (no braces) with no matchers. A word followed by `(` is a function or aggregation; the
 * label lists of `by`/`on`/`without`/`ignoring`/`group_*` and range durations are skipped.
 */
export function seriesIn(expr: string): SeriesSelector[] {
    const found: SeriesSelector[] = [];
    const braced = /([A-Za-z_:][\w:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g;
    for (const m of expr.matchAll(braced)) {
        const matchers: Record<string, string> = {};
        for (const lm of m[2].matchAll(/(\w+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")/g)) {
            matchers[lm[1]] = `${lm[2]}${lm[3]}`;
        }
        found.push({ metric: m[1], matchers });
    }
    const rest = expr
        .replace(braced, " ")
        .replace(/"(?:[^"\\]|\\.)*"/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
        .replace(/\[[^\]]*\]/g, " ");
    for (const m of rest.matchAll(/([A-Za-z_:][\w:]*)(\s*\()?/g)) {
        if (!m[2] && !KEYWORDS.has(m[1].toLowerCase()) && !/^\d/.test(m[1])) {
            found.push({ metric: m[1], matchers: {} });
        }
    }
    return found;
}
