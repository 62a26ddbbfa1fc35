// AgentState's snapshot CronJob and restore Job on a real API server (scripts/local-cluster.sh):
// the server accepts both and validates the schedule as the config does, Pod Security admits
// their pods, and the scheduler keeps the restore pod off the server pod's node. kwok runs no
// container, so neither the admin call nor the CLI runs here (specs under mocks cover the script).
import * as assert from "assert";
import * as path from "path";
import { captureStack } from "../harness";
import { eventually, getJson, kubectl } from "./kubectl";
import { Manifest, manifests, toYaml } from "./render";

const PREFIX = "ops-";
const NS = `${PREFIX}agentstate`;
const SNAPSHOT_ID = "snap-01HQXVGZM8CLUSTERTEST";

/** The pods a Job owns, by the controller's job-name label. */
const podsOf = (job: string) => getJson(["get", "pods", "-n", NS, "-l", `batch.kubernetes.io/job-name=${job}`]).items;

describe("AgentState's snapshot CronJob and restore Job on a real Kubernetes API server", function () {
    this.timeout(600000);
    let objects: Manifest[];
    let restoreJob: string;

    before(async function () {
        if (!process.env.KUBECONFIG) {
            throw new Error('KUBECONFIG is not set. Start the local cluster first: eval "$(scripts/local-cluster.sh up)"');
        }
        kubectl(["apply", "--server-side", "-f", path.join(__dirname, "certificate-crd.yaml"), "-f", path.join(__dirname, "prometheusrule-crd.yaml")]);
        kubectl(["wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io", "crd/prometheusrules.monitoring.coreos.com", "--timeout=60s"]);
        // The prod stack restoring a snapshot, under a prefix of its own; AgentState's namespace
        // and the cluster-scoped objects its pods need (the PriorityClasses).
        const captured = await captureStack("prod", { namespacePrefix: PREFIX, storageClass: undefined, agentState: { restore: { snapshotId: SNAPSHOT_ID } } });
        objects = manifests(captured).filter((m) => (m.metadata.namespace ? m.metadata.namespace === NS : m.kind === "PriorityClass" || m.metadata.name === NS));
        restoreJob = objects.find((m) => m.kind === "Job")!.metadata.name;
    });

    after(() => {
        if (!process.env.KEEP_NAMESPACES) {
            kubectl(["delete", "namespace", NS, "--wait=false", "--ignore-not-found"]);
        }
    });

    it("accepts every object, the CronJob and the Job among them", () => {
        assert.deepStrictEqual(objects.filter((m) => m.kind === "CronJob" || m.kind === "Job").map((m) => m.kind).sort(), ["CronJob", "Job"]);
        const out = kubectl(["apply", "--server-side", "--field-manager=m2m-platform", "-f", "-"], toYaml(objects));
        const applied = out.trim().split("\n").filter((l) => / serverside-applied$| unchanged$/.test(l));
        assert.strictEqual(applied.length, objects.length, out);
        const live = getJson(["get", "cronjob", "agentstate-snapshot", "-n", NS]).spec;
        assert.deepStrictEqual([live.schedule, live.timeZone, live.concurrencyPolicy], ["30 1 * * *", "Etc/UTC", "Forbid"]);
    });

    it("refuses a schedule the config refuses too", () => {
        const cron = objects.find((m) => m.kind === "CronJob")!;
        const bad = { ...cron, spec: { ...(cron.spec as object), schedule: "0 25 * * *" } };
        assert.throws(() => kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=m2m-platform", "-f", "-"], toYaml([bad])), /schedule/);
    });

    it("admits a snapshot job's pod under the namespace's restricted Pod Security", async () => {
        kubectl(["create", "job", "--from=cronjob/agentstate-snapshot", "snapshot-now", "-n", NS]);
        await eventually("no pod for the snapshot job", () => (podsOf("snapshot-now").length ? undefined : "waiting"));
        const refused = getJson(["get", "events", "-n", NS, "--field-selector", "reason=FailedCreate"]).items.map((e: any) => e.message);
        assert.deepStrictEqual(refused, []);
        const pod = podsOf("snapshot-now")[0];
        assert.strictEqual(pod.spec.serviceAccountName, "agentstate-snapshot");
        assert.strictEqual(pod.spec.automountServiceAccountToken, false);
        assert.strictEqual(pod.metadata.labels["app.kubernetes.io/name"], "agentstate-snapshot", "the label the server's network policy admits");
    });

    it("runs the restore pod with the CLI's arguments on the server's claim, on another node than the server", async () => {
        await eventually("restore or server pod not scheduled", () => {
            const server = getJson(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=agentstate"]).items[0];
            return podsOf(restoreJob)[0]?.spec.nodeName && server?.spec.nodeName ? undefined : "waiting";
        });
        const restore = podsOf(restoreJob)[0];
        assert.notStrictEqual(restore.spec.nodeName, getJson(["get", "pod", "agentstate-0", "-n", NS]).spec.nodeName);
        assert.deepStrictEqual(restore.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim, { claimName: "data-agentstate-0" });
        assert.deepStrictEqual(restore.spec.containers[0].args, ["restore", "--data-dir", "/data", "--snapshot-id", SNAPSHOT_ID]);
    });

    it("leaves a restore pending while the server runs on the only node its claim can attach to", async () => {
        // A ReadWriteOnce claim attaches to one node: model it by leaving only the server's node schedulable.
        const serverNode = getJson(["get", "pod", "agentstate-0", "-n", NS]).spec.nodeName;
        const others = getJson(["get", "nodes"]).items.map((n: any) => n.metadata.name).filter((n: string) => n !== serverNode);
        const job = objects.find((m) => m.kind === "Job")!;
        const check = { ...job, metadata: { ...job.metadata, name: "restore-while-serving" } };
        kubectl(["cordon", ...others]);
        try {
            kubectl(["apply", "--server-side", "--field-manager=m2m-platform", "-f", "-"], toYaml([check]));
            await eventually("no scheduling verdict for the restore pod", () =>
                getJson(["get", "events", "-n", NS, "--field-selector", "reason=FailedScheduling"]).items.some((e: any) => e.involvedObject.name.startsWith("restore-while-serving"))
                    ? undefined
                    : "waiting",
            );
            const pod = podsOf("restore-while-serving")[0];
            assert.strictEqual(pod.status.phase, "Pending");
            assert.strictEqual(pod.spec.nodeName, undefined, "never placed beside the running server");
        } finally {
            kubectl(["uncordon", ...others]);
            kubectl(["delete", "job", "restore-while-serving", "-n", NS, "--ignore-not-found", "--wait=false"]);
        }
    });
});
