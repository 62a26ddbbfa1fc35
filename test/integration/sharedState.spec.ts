// Shared state: the deploy driver on a self-managed S3 backend (a real S3 server,
// SeaweedFS on loopback: scripts/s3-server.sh), with the engine's own lock; and the
// driver's refusal of state that would be lost.
import * as assert from "assert";
import * as fs from "fs";
import { Engine, STACK_PREFIX, checkPrerequisites, deleteNamespaces, kubectlJson } from "./driver";
import { S3Server } from "./s3";

const PROJECT = "m2m-platform";

interface Workload {
    kind: string;
    metadata: { name: string; namespace: string };
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    status: { readyReplicas?: number };
}

describe("shared state on an S3 backend, through the deploy driver", function () {
    const stack = `${STACK_PREFIX}s3`;
    const prefix = "its3-";
    const connectorImage = "127.0.0.1:5000/m2m/connector:v1.0.1";
    let s3: S3Server;
    let engine: Engine;
    const workloads = () =>
        kubectlJson<{ items: Workload[] }>("get", "deployments,statefulsets", "--all-namespaces").items.filter((w) => w.metadata.namespace.startsWith(prefix));
    const locks = () => s3.list(`.pulumi/locks/`).filter((k) => k.includes(`/${PROJECT}/${stack}/`));

    before(() => {
        checkPrerequisites();
        s3 = S3Server.start();
        engine = new Engine({ url: s3.backendUrl, env: s3.credentials });
        deleteNamespaces(prefix);
        engine.writeStack(stack, "dev", { namespacePrefix: prefix });
    });
    after(() => {
        if (engine) {
            engine.driver("destroy", stack);
            deleteNamespaces(prefix);
            engine.cleanup();
        }
        s3?.stop();
    });

    it("deploys the dev stack end to end, with its checkpoint and history in the bucket and nothing on disk", () => {
        const r = engine.driver("up", stack);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, new RegExp(`on s3://${s3.exports.M2M_S3_BUCKET}\\?endpoint=`), "the driver names the S3 backend");
        const notReady = workloads().filter((w) => (w.status.readyReplicas ?? 0) !== w.spec.replicas);
        assert.ok(workloads().length >= 5, `workloads: ${workloads().map((w) => w.metadata.name).join(", ")}`);
        assert.deepStrictEqual(notReady.map((w) => `${w.metadata.namespace}/${w.metadata.name}`), [], "every workload Ready");
        const keys = s3.list(".pulumi/");
        assert.ok(keys.includes(`.pulumi/stacks/${PROJECT}/${stack}.json`), `the checkpoint is in the bucket:\n${keys.join("\n")}`);
        assert.ok(keys.some((k) => k.startsWith(`.pulumi/history/${PROJECT}/${stack}/`) && k.endsWith(".history.json")), "the update's history is in the bucket");
        const checkpoint = JSON.parse(s3.get(`.pulumi/stacks/${PROJECT}/${stack}.json`));
        assert.ok(checkpoint.checkpoint.latest.resources.length > 50, "the checkpoint holds the stack's resources");
        assert.deepStrictEqual(locks(), [], "no lock is left once the up is done");
        assert.ok(!fs.readdirSync(engine.backendDir).includes(".pulumi"), "no state is written to a local folder");
    });

    it("refuses a second up of the stack at once while one runs, naming the lock; the first completes", async () => {
        engine.writeStack(stack, "dev", { connector: { image: connectorImage, logLevel: "debug" } });
        const first = engine.driverAsync("up", stack);
        const started = Date.now();
        while (locks().length === 0 && Date.now() - started < 180_000) {
            await new Promise((res) => setTimeout(res, 250));
        }
        const held = locks();
        assert.strictEqual(held.length, 1, `the first up holds the stack's lock in the bucket:\n${first.output()}`);
        const holder = JSON.parse(s3.get(held[0])) as { pid: number; username: string; hostname: string };
        assert.ok(holder.pid > 0 && holder.hostname, "the lock names its holder");

        const t0 = Date.now();
        const second = engine.driver("up", stack);
        const seconds = (Date.now() - t0) / 1000;
        assert.notStrictEqual(second.code, 0, "the second up fails");
        assert.deepStrictEqual(locks(), held, "the first still holds its lock when the second has been refused");
        assert.ok(seconds < 60, `refused at once, not after waiting: ${seconds.toFixed(1)} s`);
        assert.doesNotMatch(second.output, /\b(updating|creating|deleting)\b/, "the second up changes nothing");
        for (const text of [second.output, second.summary]) {
            assert.match(text, new RegExp(`stack ${stack} is locked by another update`), text);
            assert.ok(text.includes(held[0]), `names the lock ${held[0]}:\n${text}`);
            assert.match(text, new RegExp(`\\(pid ${holder.pid}\\)`), "and its holder's pid");
            assert.match(text, new RegExp(`npm run deploy -- cancel --stack ${stack}`), "and the fix if the holder died");
        }
        assert.match(second.summary, /: ❌ failed/);

        assert.strictEqual(await first.exited, 0, first.output());
        const summary = first.summary();
        assert.match(summary, /\| Connector \| update \| `connector-deployment` \| `kubernetes:apps\/v1:Deployment` \|/, summary);
        assert.deepStrictEqual(locks(), [], "the first up released its lock");
        const connector = workloads().find((w) => w.metadata.name === "connector");
        assert.strictEqual(connector?.spec.template.spec.containers[0].image, connectorImage, "the first up's change is deployed");
    });

    it("leaves the state intact: a following preview shows no changes", () => {
        const r = engine.driver("preview", stack);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.summary, /^No changes\.$/m, r.summary);
        const state = JSON.parse(engine.exportState(stack)).deployment as { resources: { urn: string; outputs?: Record<string, any> }[]; pending_operations?: unknown[] };
        assert.deepStrictEqual(state.pending_operations ?? [], [], "no operation left pending");
        const deployment = state.resources.find((res) => res.urn.endsWith("kubernetes:apps/v1:Deployment::connector-deployment"));
        assert.strictEqual(deployment?.outputs?.spec?.template?.spec?.containers?.[0]?.image, connectorImage, "the state holds the first up's change");
    });
});

describe("state the driver refuses to lose, through the deploy driver", () => {
    it("refuses an up of a prod stack on a file:// backend in CI, naming PULUMI_BACKEND_URL, before touching the backend", () => {
        const engine = new Engine({ env: { CI: "true" } });
        try {
            const r = engine.driver("up", "prod");
            assert.strictEqual(r.code, 2, r.output);
            assert.match(r.output, /refusing to up a prod stack on file:\/\/.* in CI: that state would leave with the runner\. Set PULUMI_BACKEND_URL/, r.output);
            assert.deepStrictEqual(fs.readdirSync(engine.backendDir), [], "nothing written to the backend");
        } finally {
            engine.cleanup();
        }
    });

    it("refuses an s3:// URL that names no bucket", () => {
        const engine = new Engine({ url: "s3://?endpoint=127.0.0.1:1&s3ForcePathStyle=true" });
        try {
            const r = engine.driver("preview", "dev");
            assert.strictEqual(r.code, 2, r.output);
            assert.match(r.output, /PULUMI_BACKEND_URL s3:\/\/\?endpoint=127\.0\.0\.1:1&s3ForcePathStyle=true names no bucket: use s3:\/\/<bucket>/, r.output);
        } finally {
            engine.cleanup();
        }
    });
});
