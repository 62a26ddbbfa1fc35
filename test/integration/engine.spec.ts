// The program, the policy pack and the driver under the real Pulumi engine, the real
// Kubernetes provider and the local API server: what users run, checked as they would.
import * as assert from "assert";
import * as path from "path";
import { Engine, ROOT, STACK_PREFIX, checkPrerequisites, deleteNamespaces, kubectl, kubectlJson, run } from "./driver";
import { stageDevImageContext } from "./context";

/** Secret config a prod stack holds encrypted; throwaway values, recognisable in any leak check. */
export const PROD_SECRETS: Record<string, string> = {
    connectorEvmPrivateKey: `0x${"5e".repeat(32)}`,
    connectorM2mTokenAddress: `0x${"7a".repeat(20)}`,
    connectorTokenNetworkRegistry: `0x${"9c".repeat(20)}`,
    registryPassword: "it-registry-password-0f3c9e",
};

/** Every "can't run policy … during preview" report the engine printed. */
function cantRun(output: string): string[] {
    return output.split("\n").filter((l) => /can't run policy/.test(l));
}

/** The prod stack file with build contexts that exist on this machine (the real ones are sibling repositories). */
function prodOnThisMachine(context: string): Record<string, unknown> {
    const build = (tag: string, dockerfile = "Dockerfile") => ({ context, dockerfile, tag });
    return {
        connector: { image: build("v1.0.0") },
        agentRuntime: { image: build("v1.0.0") },
        businessLogic: { image: build("v1.0.0") },
        agency: { image: build("v1.0.0"), tenants: ["client-a", "client-b"] },
    };
}

describe("the real engine, through the deploy driver", function () {
    const engine = new Engine();
    let context: string;

    before(() => {
        checkPrerequisites();
        context = stageDevImageContext();
    });
    after(() => engine.cleanup());

    describe("preview from an empty state", () => {
        it("runs every policy on dev, with no mandatory violation", () => {
            const stack = `${STACK_PREFIX}dev-preview`;
            engine.writeStack(stack, "dev");
            const r = engine.driver("preview", stack);
            assert.deepStrictEqual(cantRun(r.output), [], "every policy runs during preview");
            assert.strictEqual(r.code, 0, r.output);
            assert.match(r.summary, /### Policy violations\n\n(None\.|\| level)/);
            assert.doesNotMatch(r.summary, /\| mandatory \|/);
        });

        it("runs every policy on prod, with no mandatory violation", () => {
            const stack = `${STACK_PREFIX}prod-preview`;
            engine.writeStack(stack, "prod", prodOnThisMachine(context), PROD_SECRETS);
            const r = engine.driver("preview", stack);
            assert.deepStrictEqual(cantRun(r.output), [], "every policy runs during preview");
            assert.strictEqual(r.code, 0, r.output);
            assert.doesNotMatch(r.summary, /\| mandatory \|/);
        });

        it("fails a non-compliant prod preview with each policy's message, in the output and the summary", () => {
            const stack = `${STACK_PREFIX}noncompliant`;
            const fixture = path.join(ROOT, "test/integration/fixtures/noncompliant");
            engine.writeStack(stack, "prod", prodOnThisMachine(context), PROD_SECRETS, fixture);
            const r = engine.driver("preview", stack, "--project-dir", fixture);
            assert.notStrictEqual(r.code, 0, "a mandatory violation fails the preview");
            assert.deepStrictEqual(cantRun(r.output), []);
            for (const [policy, message] of [
                ["tigerbeetle-replica-quorum", /2 replicas/],
                ["images-are-pinned", /latest/],
                ["connector-lists-every-tigerbeetle-replica", /tigerbeetle-0\.tigerbeetle-headless.*cannot be their addresses/],
            ] as const) {
                const row = r.summary.split("\n").find((l) => l.startsWith(`| mandatory | \`${policy}\``));
                assert.ok(row, `the summary lists ${policy} as mandatory:\n${r.summary}`);
                assert.match(row, message);
                assert.match(r.output, new RegExp(`mandatory policy violation ${policy}`));
            }
        });
    });

    describe("an image the stack builds", () => {
        const stack = `${STACK_PREFIX}build`;
        const prefix = "itb-";
        const registry = process.env.LOCAL_REGISTRY ?? "127.0.0.1:5000";

        before(function () {
            if (run("docker", ["version"]).status !== 0) {
                throw new Error("no Docker daemon answers (DOCKER_HOST): start it with scripts/local-cluster.sh up (LOCAL_CLUSTER_DOCKER=1, the default)");
            }
            deleteNamespaces(prefix);
        });
        after(() => {
            engine.driver("destroy", stack);
            deleteNamespaces(prefix);
        });

        it("is pushed to the local registry and the workload runs it by digest", () => {
            engine.writeStack(stack, "dev", {
                namespacePrefix: prefix,
                registry: { server: registry },
                connector: { image: { context, dockerfile: "Dockerfile", tag: "it-build" }, logLevel: "debug" },
            });
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            const image: string = kubectlJson("get", "deployment", "connector", "-n", `${prefix}m2m-connector`).spec.template.spec.containers[0].image;
            const m = new RegExp(`^${registry.replace(/\./g, "\\.")}/m2m-connector@(sha256:[0-9a-f]{64})$`).exec(image);
            assert.ok(m, `the Deployment runs the pushed image by digest: ${image}`);
            const head = run("curl", ["-sf", "-o", "/dev/null", "-w", "%{http_code}", "-I", "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json", `http://${registry}/v2/m2m-connector/manifests/${m[1]}`]);
            assert.strictEqual(head.stdout, "200", "the registry serves that digest");
            assert.match(engine.driver("up", stack).summary, /^No changes\.$/m, "an unchanged context rebuilds nothing");
        });
    });

    describe("up of dev on the local cluster", () => {
        const stack = `${STACK_PREFIX}dev`;
        const prefix = "it-";
        const namespaces = () =>
            kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "namespaces").items.map((n) => n.metadata.name).filter((n) => n.startsWith(prefix));
        const workloads = () =>
            kubectlJson<{ items: Workload[] }>("get", "deployments,statefulsets", "--all-namespaces").items.filter((w) => w.metadata.namespace.startsWith(prefix));
        const capKeys = (): { active: string; next: string } => JSON.parse(engine.pulumi(["stack", "output", "capKeys", "--show-secrets", "--json", "--stack", stack]));

        before(() => {
            deleteNamespaces(prefix);
            engine.writeStack(stack, "dev", { namespacePrefix: prefix });
        });

        it("deploys every tier: each Deployment and StatefulSet Ready, each claim Bound", () => {
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            assert.deepStrictEqual(cantRun(r.output), []);
            assert.ok(namespaces().length >= 6, `namespaces: ${namespaces().join(", ")}`);
            const notReady = workloads().filter((w) => (w.status.readyReplicas ?? 0) !== w.spec.replicas);
            assert.deepStrictEqual(notReady.map(ref), [], "every workload Ready");
            const claims = kubectlJson<{ items: { metadata: { name: string; namespace: string }; status: { phase: string } }[] }>("get", "pvc", "--all-namespaces");
            const mine = claims.items.filter((c) => c.metadata.namespace.startsWith(prefix));
            assert.ok(mine.length >= 3, "TigerBeetle, AgentState and the tenant's claims exist");
            assert.deepStrictEqual(mine.filter((c) => c.status.phase !== "Bound").map((c) => c.metadata.name), []);
        });

        it("reports zero changes on a second up", () => {
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            assert.match(r.summary, /^No changes\.$/m, r.summary);
        });

        it("updates only the connector's Deployment when its image changes", () => {
            engine.writeStack(stack, "dev", { namespacePrefix: prefix, connector: { image: "127.0.0.1:5000/m2m/connector:v1.0.1", logLevel: "debug" } });
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            assert.deepStrictEqual(changeRows(r.summary), [["Connector", "update", "kubernetes:apps/v1:Deployment"]], r.summary);
            const connector = workloads().find((w) => w.metadata.name === "connector");
            assert.strictEqual(connector?.spec.template.spec.containers[0].image, "127.0.0.1:5000/m2m/connector:v1.0.1");
        });

        it("rotates the CAP keys: the promoted key keeps its value and AgentState restarts", () => {
            const before = capKeys();
            const revision = kubectlJson("get", "statefulset", "agentstate", "-n", `${prefix}agentstate`).status.updateRevision;
            engine.writeStack(stack, "dev", { agentState: { image: "127.0.0.1:5000/m2m/agentstate-server:v0.1.0-rc.1", region: "local", capKeys: { activeId: "dev-next", nextId: "dev-2027" } } });
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            const after = capKeys();
            assert.strictEqual(after.active, before.next, "the promoted key keeps its value");
            assert.notStrictEqual(after.next, before.next, "a new next key is minted");
            const now = kubectlJson("get", "statefulset", "agentstate", "-n", `${prefix}agentstate`).status.updateRevision;
            assert.notStrictEqual(now, revision, "the pod template changed, so the pods roll");
        });

        for (const [what, change] of [
            ["cluster ID", { replicas: 1, clusterId: "7" }],
            ["replica count", { replicas: 3, clusterId: "0" }],
        ] as const) {
            it(`refuses a change of the TigerBeetle ${what} at preview, touching nothing`, () => {
                const sts = () => kubectlJson("get", "statefulset", "tigerbeetle", "-n", `${prefix}tigerbeetle`);
                const generation = sts().metadata.generation;
                engine.writeStack(stack, "dev", { tigerbeetle: change });
                try {
                    const r = engine.driver("preview", stack);
                    assert.notStrictEqual(r.code, 0, "the preview fails");
                    assert.match(r.output, /unable to replace .*tigerbeetle-identity/, r.output);
                    assert.match(r.summary, /marked for protection/, r.summary);
                    const up = engine.driver("up", stack);
                    assert.notStrictEqual(up.code, 0, "and so does the up");
                    assert.strictEqual(sts().metadata.generation, generation, "the StatefulSet is untouched");
                } finally {
                    engine.writeStack(stack, "dev", { tigerbeetle: { replicas: 1, clusterId: "0" } });
                }
            });
        }

        it("removes a removed tenant's workloads and keeps its namespace and claims", () => {
            const tenants = (list: string[]) => ({ agency: { image: "127.0.0.1:5000/m2m/digital-agency:v1.0.0", tenants: list } });
            engine.writeStack(stack, "dev", tenants(["client-a", "client-b"]));
            assert.strictEqual(engine.driver("up", stack).code, 0);
            const ns = `${prefix}client-b`;
            const claimsBefore = kubectlJson<{ items: { metadata: { uid: string } }[] }>("get", "pvc", "-n", ns).items.map((c) => c.metadata.uid).sort();
            assert.ok(claimsBefore.length >= 2, "client-b has its agent and brain claims");
            engine.writeStack(stack, "dev", tenants(["client-a"]));
            const r = engine.driver("up", stack);
            assert.strictEqual(r.code, 0, r.output);
            assert.deepStrictEqual(workloads().filter((w) => w.metadata.namespace === ns).map(ref), [], "client-b's workloads are gone");
            assert.ok(namespaces().includes(ns), "its namespace stays");
            const claimsAfter = kubectlJson<{ items: { metadata: { uid: string } }[] }>("get", "pvc", "-n", ns).items.map((c) => c.metadata.uid).sort();
            assert.deepStrictEqual(claimsAfter, claimsBefore, "the same claims, not new ones");
        });

        it("keeps every secret value out of the state, the outputs, the objects and the driver's log", () => {
            const keys = capKeys();
            const secrets = [keys.active, keys.next, ...Object.values(PROD_SECRETS)];
            const password = Buffer.from(kubectlJson("get", "secret", "postgres-credentials", "-n", `${prefix}my-agent`).data.POSTGRES_PASSWORD, "base64").toString();
            secrets.push(password);
            const r = engine.driver("up", stack);
            const places: Record<string, string> = {
                "the state": engine.exportState(stack),
                "the outputs": engine.pulumi(["stack", "output", "--json", "--stack", stack]),
                "the driver's log": r.output,
                "the summary": r.summary,
                "every object but Secrets": kubectl("get", "configmaps,deployments,statefulsets,services,pods", "--all-namespaces", "-o", "yaml"),
            };
            for (const [where, text] of Object.entries(places)) {
                for (const s of secrets) {
                    assert.ok(!text.includes(s), `a secret value appears in ${where}`);
                }
            }
        });

        it("converges after an up killed mid-deployment: refresh, then up, with no duplicate or orphan", async () => {
            engine.writeStack(stack, "dev", { agency: { image: "127.0.0.1:5000/m2m/digital-agency:v1.0.0", tenants: ["client-a", "client-c"] } });
            const child = engine.driverAsync("up", stack);
            const started = Date.now();
            while (!/client-c.*creating/.test(child.output()) && Date.now() - started < 120_000) {
                await new Promise((res) => setTimeout(res, 100));
            }
            assert.ok(child.killEngine() > 0, `the engine was running:\n${child.output()}`);
            await child.exited;
            // The killed engine leaves its lock and pending creates: the README's recovery.
            const locked = engine.driver("up", stack);
            assert.notStrictEqual(locked.code, 0, "the stale lock refuses the next up");
            assert.match(locked.output, /locked/, locked.output);
            assert.strictEqual(engine.driver("cancel", stack).code, 0, "cancel removes the lock");
            const refresh = engine.driver("refresh", stack, "--clear-pending-creates");
            assert.strictEqual(refresh.code, 0, refresh.output);
            const up = engine.driver("up", stack);
            assert.strictEqual(up.code, 0, up.output);
            assert.match(engine.driver("up", stack).summary, /^No changes\.$/m, "a further up has nothing to do");
            const c = workloads().filter((w) => w.metadata.namespace === `${prefix}client-c`);
            assert.deepStrictEqual(c.map((w) => w.metadata.name).sort(), ["agent", "brain"], "one of each, no duplicate");
        });

        it("destroy removes the workloads and leaves only the namespaces and claims that hold data", () => {
            const r = engine.driver("destroy", stack);
            assert.strictEqual(r.code, 0, r.output);
            assert.deepStrictEqual(workloads().map(ref), [], "no workload is left");
            const left = namespaces().sort();
            const expected = [`${prefix}agentstate`, `${prefix}client-a`, `${prefix}client-b`, `${prefix}client-c`, `${prefix}my-agent`, `${prefix}tigerbeetle`];
            assert.deepStrictEqual(left, expected, "only the namespaces that hold claims are retained");
            deleteNamespaces(prefix);
        });
    });
});

interface Workload {
    kind: string;
    metadata: { name: string; namespace: string; generation: number };
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    status: { readyReplicas?: number };
}

const ref = (w: Workload) => `${w.kind} ${w.metadata.namespace}/${w.metadata.name}`;

/** The summary's "Changes by tier" rows as [tier, op, type]. */
function changeRows(summary: string): string[][] {
    return summary
        .split("\n")
        .filter((l) => /^\| \w+ \| (create|update|delete|replace|create-replacement|delete-replaced) \|/.test(l))
        .map((l) => l.split("|").map((c) => c.trim().replace(/`/g, "")))
        .map((c) => [c[1], c[2], c[4]]);
}
