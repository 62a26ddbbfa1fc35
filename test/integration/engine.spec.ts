// The program, the policy pack and the driver under the real Pulumi engine, the real
// Kubernetes provider and the local API server: what users run, checked as they would.
import * as assert from "assert";
import { Engine, STACK_PREFIX, checkPrerequisites, kubectlJson } from "./driver";
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
    });

    describe("up of dev on the local cluster", () => {
        const stack = `${STACK_PREFIX}dev`;
        const prefix = "it-";
        const namespaces = () =>
            kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "namespaces").items.map((n) => n.metadata.name).filter((n) => n.startsWith(prefix));
        const workloads = () =>
            kubectlJson<{ items: Workload[] }>("get", "deployments,statefulsets", "--all-namespaces").items.filter((w) => w.metadata.namespace.startsWith(prefix));
        const capKeys = (): { active: string; next: string } => JSON.parse(engine.pulumi(["stack", "output", "capKeys", "--show-secrets", "--json", "--stack", stack]));

        before(() => engine.writeStack(stack, "dev", { namespacePrefix: prefix }));

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
                const r = engine.driver("preview", stack);
                assert.notStrictEqual(r.code, 0, "the preview fails");
                assert.match(r.output, /protect/i, r.output);
                const up = engine.driver("up", stack);
                assert.notStrictEqual(up.code, 0, "and so does the up");
                assert.strictEqual(sts().metadata.generation, generation, "the StatefulSet is untouched");
                engine.writeStack(stack, "dev", { tigerbeetle: { replicas: 1, clusterId: "0" } });
            });
        }
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
