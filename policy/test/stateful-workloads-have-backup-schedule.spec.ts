import { T, compliantStack, expectViolations, mutate, named, statefulSet, unknownAt, veleroSchedule, withPreviewUnknowns } from "./fixtures";
import { Resource, loadConfig, policyNamed, runPolicy } from "./run";

const policy = policyNamed("stateful-workloads-have-backup-schedule");
const scheduleOf = (ns: string) => (r: Resource) => r.type === T.veleroSchedule && r.props.spec.template.includedNamespaces.includes(ns);
const without = (pred: (r: Resource) => boolean) => compliantStack().filter((r) => !pred(r));

describe("stateful-workloads-have-backup-schedule", () => {
    it("passes a Velero Schedule for every namespace with a StatefulSet that has claims", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a StatefulSet with claims in a namespace no Schedule backs up, naming its claims", async () => {
        const v = await runPolicy(policy, without(scheduleOf("tigerbeetle")));
        expectViolations(v, [
            ["StatefulSet tigerbeetle/tigerbeetle: its claims (data) are in namespace tigerbeetle, which no Velero Schedule backs up with its volumes", "[checklist item 13:", "Fix: add a Velero Schedule including tigerbeetle", "backups.enabled: true"],
        ]);
    });

    it("does not judge a StatefulSet without claims (the Brain keeps nothing on a claim here)", async () => {
        const v = await runPolicy(policy, [...compliantStack(), statefulSet("cache", "scratch", { containers: [] })]);
        expectViolations(v, []);
    });

    it("does not count a Schedule that excludes the namespace, takes no volume snapshots or leaves claims out", async () => {
        for (const edit of [
            (p: any) => (p.spec.template.excludedNamespaces = ["agentstate"]),
            (p: any) => (p.spec.template.snapshotVolumes = false),
            (p: any) => (p.spec.template.includedResources = ["configmaps", "secrets"]),
            (p: any) => (p.spec.template.includedNamespaces = ["agentstate-old"]),
        ]) {
            const v = await runPolicy(policy, mutate(compliantStack(), scheduleOf("agentstate"), edit));
            expectViolations(v, [["StatefulSet agentstate/agentstate: its claims (data) are in namespace agentstate"]]);
        }
    });

    it("counts a Schedule of every namespace, or one listing claims among its resources", async () => {
        const all = [...compliantStack().filter((r) => r.type !== T.veleroSchedule), mutate([veleroSchedule("x")], () => true, (p) => (p.spec.template.includedNamespaces = ["*"]))[0]];
        expectViolations(await runPolicy(policy, all), []);
        const listed = mutate(compliantStack(), scheduleOf("client-a"), (p) => (p.spec.template.includedResources = ["persistentvolumeclaims", "persistentvolumes"]));
        expectViolations(await runPolicy(policy, listed), []);
    });

    it("does not count a Schedule whose namespaces or volume settings are unknown during preview, and names it", async () => {
        for (const path of [["spec", "template", "includedNamespaces"], ["spec", "template", "snapshotVolumes"], ["spec", "template"]]) {
            const v = await runPolicy(policy, unknownAt(compliantStack(), scheduleOf("client-a"), ...path));
            expectViolations(v, [["StatefulSet client-a/agent: its claims (agent) are in namespace client-a", "(Schedule velero/client-a is unknown during preview in part and not counted)"]]);
        }
    });

    it("reports a StatefulSet whose namespace is unknown during preview", async () => {
        const v = await runPolicy(policy, unknownAt(compliantStack(), named(T.statefulSet, "tigerbeetle"), "metadata", "namespace"));
        expectViolations(v, [["StatefulSet <unknown>/tigerbeetle: its namespace is unknown during preview, so no Schedule is known to back it up"]]);
    });

    it("still reports a gap with the values a preview leaves unknown elsewhere", async () => {
        const v = await runPolicy(policy, withPreviewUnknowns(without(scheduleOf("client-a"))));
        expectViolations(v, [["StatefulSet client-a/agent: its claims (agent) are in namespace client-a"]]);
    });

    it("is mandatory under prod.json, off under dev.json, and skips exempt namespaces", async () => {
        const bare = without((r) => r.type === T.veleroSchedule);
        expectViolations(await runPolicy(policy, bare, loadConfig("dev")), []);
        const prod = await runPolicy(policy, bare, loadConfig("prod"));
        expectViolations(prod, [["StatefulSet tigerbeetle/tigerbeetle"], ["StatefulSet agentstate/agentstate"], ["StatefulSet client-a/agent"]]);
        for (const v of prod) {
            if (v.level !== "mandatory") {
                throw new Error(`expected mandatory under prod.json: ${v.message}`);
            }
        }
        expectViolations(await runPolicy(policy, bare, { "stateful-workloads-have-backup-schedule": { exemptNamespaces: ["tigerbeetle", "agentstate", "client-a"] } }), []);
    });
});
