import { T, compliantStack, deployment, expectViolations, mutate, named, prometheusRule, unknownAt, withPreviewUnknowns } from "./fixtures";
import { Resource, loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("namespaces-have-alert-rules");
const rulesIn = (ns: string) => (r: Resource) => r.type === T.prometheusRule && r.props.metadata?.namespace === ns;
const without = (pred: (r: Resource) => boolean) => compliantStack().filter((r) => !pred(r));

describe("namespaces-have-alert-rules", () => {
    it("passes a PrometheusRule with an alert rule in every namespace with workloads", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a namespace with workloads and no PrometheusRule, naming its workloads", async () => {
        const v = await runPolicy(policy, without(rulesIn("my-agent")));
        expectViolations(v, [
            ["Namespace my-agent: namespace my-agent has workloads (Deployment my-agent/business-logic) but no PrometheusRule with an alert rule", "[checklist item 8: Alerting", "Fix: add a PrometheusRule", "monitoring.alertRules: true"],
        ]);
    });

    it("reports a namespace without a Namespace resource as a stack problem", async () => {
        const v = await runPolicy(policy, [...compliantStack(), deployment("worker", "batch")]);
        expectViolations(v, [["Stack: namespace batch has workloads (Deployment batch/worker) but no PrometheusRule with an alert rule"]]);
    });

    it("does not count recording rules only, nor an empty PrometheusRule", async () => {
        const recording = mutate(compliantStack(), rulesIn("agentstate"), (p) => (p.spec.groups[0].rules = [{ record: "agentstate:ops:rate5m", expr: "sum(rate(agentstate_ops_total[5m]))" }]));
        expectViolations(await runPolicy(policy, recording), [["namespace agentstate has workloads (StatefulSet agentstate/agentstate) but no PrometheusRule with an alert rule"]]);
        const empty = mutate(compliantStack(), rulesIn("agentstate"), (p) => (p.spec.groups = []));
        expectViolations(await runPolicy(policy, empty), [["namespace agentstate has workloads"]]);
        const noExpr = mutate(compliantStack(), rulesIn("agentstate"), (p) => (p.spec.groups[0].rules[0].expr = ""));
        expectViolations(await runPolicy(policy, noExpr), [["namespace agentstate has workloads"]]);
    });

    it("does not count a PrometheusRule in another namespace that names this one in its expressions", async () => {
        const central = mutate([prometheusRule("business-logic", "monitoring")], () => true, (p) => (p.spec.groups[0].rules[0].expr = 'up{namespace="my-agent"} == 0'));
        const v = await runPolicy(policy, [...without(rulesIn("my-agent")), ...central]);
        expectViolations(v, [["Namespace my-agent: namespace my-agent has workloads"]]);
    });

    it("counts a PrometheusRule with one alert rule among others", async () => {
        const mixed = mutate(compliantStack(), rulesIn("client-a"), (p) => p.spec.groups.unshift({ name: "recording", rules: [{ record: "x", expr: "up" }] }));
        expectViolations(await runPolicy(policy, mixed), []);
    });

    it("skips exempt namespaces, and everything when alert rules are not required (dev.json)", async () => {
        const bare = without((r) => r.type === T.prometheusRule);
        expectViolations(await runPolicy(policy, bare, { "namespaces-have-alert-rules": { exemptNamespaces: ["tigerbeetle", "m2m-connector", "m2m-agent-runtime", "my-agent", "agentstate", "client-a"] } }), []);
        expectViolations(await runPolicy(policy, bare, loadConfig("dev")), []);
        const prod = await runPolicy(policy, bare, loadConfig("prod"));
        expectViolations(prod, ["tigerbeetle", "m2m-connector", "m2m-agent-runtime", "my-agent", "agentstate", "client-a"].map((ns) => [`Namespace ${ns}: namespace ${ns} has workloads`]));
        for (const v of prod) {
            if (v.level !== "mandatory") {
                throw new Error(`expected mandatory under prod.json: ${v.message}`);
            }
        }
    });

    it("still reports a namespace without alert rules with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(without(rulesIn("tigerbeetle"))));
        expectViolations(v, [["Namespace tigerbeetle: namespace tigerbeetle has workloads (StatefulSet tigerbeetle/tigerbeetle) but no PrometheusRule"]]);
    });

    it("does not count a PrometheusRule whose groups, rules or alert are unknown during preview, and names it", async () => {
        for (const path of [["spec", "groups"], ["spec", "groups", 0, "rules"], ["spec", "groups", 0, "rules", 0, "alert"], ["spec", "groups", 0, "rules", 0, "expr"]]) {
            const v = await runPolicy(policy, unknownAt(compliantStack(), rulesIn("agentstate"), ...path));
            expectViolations(v, [["namespace agentstate has workloads", "(PrometheusRule agentstate/agentstate-alerts is unknown during preview in part and not counted)"]]);
        }
    });

    it("counts a known alert rule beside an unknown one", async () => {
        const two = mutate(compliantStack(), rulesIn("agentstate"), (p) => p.spec.groups[0].rules.push({ alert: "Other", expr: "up == 0" }));
        expectViolations(await runPolicy(policy, unknownAt(two, rulesIn("agentstate"), "spec", "groups", 0, "rules", 0, "alert")), []);
    });

    it("does not count a PrometheusRule whose namespace is unknown during preview", async () => {
        const v = await runPolicy(policy, unknownAt(compliantStack(), rulesIn("my-agent"), "metadata", "namespace"));
        expectViolations(v, [["namespace my-agent has workloads", "(PrometheusRule <unknown>/business-logic-alerts is unknown during preview in part and not counted)"]]);
    });

    it("reports a workload whose namespace is unknown during preview", async () => {
        const v = await runPolicy(policy, unknownAt(compliantStack(), named(T.deployment, "agent-runtime"), "metadata", "namespace"));
        expectViolations(v, [
            ["Deployment <unknown>/agent-runtime: its namespace is unknown during preview, so it is not known to have alert rules"],
        ]);
    });
});
