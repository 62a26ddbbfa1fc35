import { T, UNKNOWN, compliantStack, expectViolations, mutate, named, withPreviewUnknowns } from "./fixtures";
import { Resource, policyNamed, runPolicy } from "./run";

const policy = policyNamed("metrics-endpoints-are-scraped");
const connector = named(T.deployment, "connector");
const annotations = (edit: (a: Record<string, string>) => void) => mutate(compliantStack(), connector, (p) => edit(p.spec.template.metadata.annotations));

const serviceMonitor = (selector: Record<string, string>): Resource => ({
    type: T.serviceMonitor,
    name: "connector-monitor",
    props: { metadata: { name: "connector", namespace: "m2m-connector" }, spec: { selector: { matchLabels: selector }, endpoints: [{ port: "http-metrics" }] } },
});

describe("metrics-endpoints-are-scraped", () => {
    it("passes the connector and AgentState with scrape annotations on their metrics ports", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a metrics port nothing scrapes", async () => {
        const v = await runPolicy(policy, annotations((a) => Object.keys(a).forEach((k) => delete a[k])));
        expectViolations(v, [["Deployment m2m-connector/connector: serves metrics on http-metrics (8080) but nothing scrapes it", "[checklist item 8:", 'prometheus.io/port "8080"']]);
    });

    it("reports scraping switched off", async () => {
        const v = await runPolicy(policy, annotations((a) => (a["prometheus.io/scrape"] = "false")));
        expectViolations(v, [['serves metrics on http-metrics (8080) but prometheus.io/scrape is "false"']]);
    });

    it("reports a scrape port that is not the metrics port", async () => {
        const v = await runPolicy(policy, annotations((a) => (a["prometheus.io/port"] = "4000")));
        expectViolations(v, [['prometheus.io/port is "4000", not its metrics port http-metrics (8080)']]);
        const unset = await runPolicy(policy, annotations((a) => delete a["prometheus.io/port"]));
        expectViolations(unset, [["prometheus.io/port is unset"]]);
    });

    it("accepts the port by name", async () => {
        expectViolations(await runPolicy(policy, annotations((a) => (a["prometheus.io/port"] = "http-metrics"))), []);
    });

    it("accepts a ServiceMonitor selecting a Service in front of the pods instead of annotations", async () => {
        const bare = annotations((a) => Object.keys(a).forEach((k) => delete a[k]));
        const withLabels = mutate(bare, named(T.service, "connector"), (p) => (p.metadata.labels = { ...p.metadata.labels, monitored: "yes" }));
        expectViolations(await runPolicy(policy, [...withLabels, serviceMonitor({ monitored: "yes" })]), []);
        expectViolations(await runPolicy(policy, [...withLabels, serviceMonitor({ monitored: "no" })]), [["nothing scrapes it"]]);
    });

    it("takes the metrics port names from config", async () => {
        const v = await runPolicy(policy, compliantStack(), { "metrics-endpoints-are-scraped": { metricsPortPatterns: ["^btp$"] } });
        expectViolations(v, [["Deployment m2m-connector/connector: prometheus.io/port is \"8080\", not its metrics port btp (4000)"]]);
    });

    it("still reports a metrics port nothing scrapes with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(annotations((a) => Object.keys(a).forEach((k) => delete a[k]))));
        expectViolations(v, [["Deployment m2m-connector/connector: serves metrics on http-metrics (8080) but nothing scrapes it"]]);
    });

    it("keeps an annotation present when its value is unknown during preview, and reports the value as not known", async () => {
        expectViolations(await runPolicy(policy, annotations((a) => (a["checksum/config"] = UNKNOWN))), []);
        const scrape = await runPolicy(policy, annotations((a) => (a["prometheus.io/scrape"] = UNKNOWN)));
        expectViolations(scrape, [['serves metrics on http-metrics (8080) but prometheus.io/scrape is unknown during preview, so it is not known to be "true"']]);
        const port = await runPolicy(policy, annotations((a) => (a["prometheus.io/port"] = UNKNOWN)));
        expectViolations(port, [["prometheus.io/port is unknown during preview, not known to be its metrics port http-metrics (8080)"]]);
    });
});
