// Tenant stacks on the real engine, through the driver's fan-out, on the local cluster: a
// platform stack and three tenant stacks from empty; a change to one tenant touching only
// its stack while another tenant's bad image fails alone; a tenant moved from the one-stack
// layout to its own stack and back with the same namespace, claims and workloads; destroy of
// one tenant stack; and the bad input the driver refuses before any engine runs.
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { Engine, ROOT, checkPrerequisites, deleteNamespaces, kubectlJson } from "./driver";

const PLATFORM = "it-ts";
const PREFIX = "its-";
const IMAGE = "127.0.0.1:5000/m2m/digital-agency:v1.0.0";

interface Item {
    kind?: string;
    metadata: { name: string; namespace: string; uid: string };
    spec?: { replicas?: number };
    status?: { readyReplicas?: number; phase?: string };
}

/** The summary's table row of a stack: [result, changes]. */
function row(summary: string, stack: string): [string, string] {
    const line = summary.split("\n").find((l) => l.startsWith(`| \`${stack}\` |`));
    assert.ok(line, `the summary has a row for ${stack}:\n${summary}`);
    const cells = line.split("|").map((c) => c.trim());
    return [cells[3], cells[4]];
}

/** Every object of `kinds` in the tenant's namespace, by kind/name → uid (the namespace itself included). */
function uids(tenant: string): Record<string, string> {
    const ns = `${PREFIX}${tenant}`;
    const out: Record<string, string> = { [`namespace/${ns}`]: kubectlJson<Item>("get", "namespace", ns).metadata.uid };
    for (const i of kubectlJson<{ items: Item[] }>("get", "pvc,statefulsets", "-n", ns).items) {
        out[`${i.kind}/${i.metadata.name}`] = i.metadata.uid;
    }
    return out;
}

describe("tenant stacks on the real engine, through the driver's fan-out", function () {
    const engine = new Engine();
    const files = new Set<string>();
    const platformAgency = (tenants: string[], tenantStacks: string[]) => ({ agency: { image: IMAGE, tenants, tenantStacks } });
    const writePlatform = (tenants: string[], tenantStacks: string[]) => engine.writeStack(PLATFORM, "dev", { namespacePrefix: PREFIX, ...platformAgency(tenants, tenantStacks) });
    /** Pulumi.it-ts.<tenant>.yaml: a tenant stack of it-ts, with its own `agency` fields. */
    const writeTenant = (tenant: string, agency?: Record<string, unknown>) => {
        const file = path.join(ROOT, `Pulumi.${PLATFORM}.${tenant}.yaml`);
        const config: Record<string, unknown> = { "m2m-platform:environment": "dev", "m2m-platform:stackKind": "tenant", "m2m-platform:tenantStack": { platform: PLATFORM, tenant } };
        if (agency) {
            config["m2m-platform:agency"] = agency;
        }
        fs.writeFileSync(file, yaml.dump({ config }));
        files.add(file);
    };
    const workloads = () => kubectlJson<{ items: Item[] }>("get", "statefulsets,deployments", "--all-namespaces").items.filter((w) => w.metadata.namespace.startsWith(PREFIX));

    before(() => {
        checkPrerequisites();
        deleteNamespaces(PREFIX);
        writePlatform(["client-a"], ["client-b", "client-c", "client-d"]);
        for (const t of ["client-b", "client-c", "client-d"]) {
            writeTenant(t);
        }
    });
    after(() => {
        engine.driver("destroy", PLATFORM);
        deleteNamespaces(PREFIX);
        for (const f of files) {
            fs.rmSync(f, { force: true });
        }
        engine.cleanup();
    });

    it("refuses a tenant stack whose platform stack does not exist yet, before any engine runs", () => {
        const r = engine.driver("preview", `${PLATFORM}.client-b`);
        assert.strictEqual(r.code, 2, r.output);
        assert.match(r.output, /tenant stack it-ts\.client-b reads platform stack it-ts, which does not exist yet or has never been deployed \(no tenantPlatform output\): run `npm run deploy -- up --stack it-ts` first; nothing was run/);
    });

    it("refuses --tenants naming an unknown tenant, --concurrency 0 or negative and a tenant in both layouts, creating nothing", () => {
        const unknown = engine.driver("up", PLATFORM, "--tenants", "client-x");
        assert.strictEqual(unknown.code, 2);
        assert.match(unknown.output, /--tenants: client-x is no tenant stack of it-ts \(the tenant stacks of Pulumi\.it-ts\.yaml's agency\.tenantStacks: client-b, client-c, client-d\)\. Fix: name one of them, or all/);
        for (const n of ["0", "-2"]) {
            const r = engine.driver("up", PLATFORM, "--concurrency", n);
            assert.strictEqual(r.code, 2);
            assert.match(r.output, /--concurrency must be a whole number of at least 1/);
        }
        writePlatform(["client-a", "client-b"], ["client-b", "client-c", "client-d"]);
        try {
            const both = engine.driver("up", PLATFORM);
            assert.strictEqual(both.code, 2);
            assert.match(both.output, /Pulumi\.it-ts\.yaml lists client-b in both layouts \(m2m-platform:agency\.tenants and m2m-platform:agency\.tenantStacks\)/);
        } finally {
            writePlatform(["client-a"], ["client-b", "client-c", "client-d"]);
        }
        assert.deepStrictEqual(workloads(), [], "nothing was created");
    });

    it("deploys the platform and three tenant stacks from empty: every workload Ready, every claim Bound", () => {
        const r = engine.driver("up", PLATFORM, "--concurrency", "3");
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.summary, /^# `pulumi up` of platform stack `it-ts` and its tenant stacks: ✅ all 4 passed$/m);
        for (const t of ["client-b", "client-c", "client-d"]) {
            const [result, changes] = row(r.summary, `${PLATFORM}.${t}`);
            assert.strictEqual(result, "✅ passed", t);
            assert.match(changes, /^Changes: \d+ to create\.$/, t);
        }
        const notReady = workloads().filter((w) => (w.status?.readyReplicas ?? 0) !== w.spec?.replicas);
        assert.deepStrictEqual(notReady.map((w) => `${w.metadata.namespace}/${w.metadata.name}`), []);
        for (const t of ["client-a", "client-b", "client-c", "client-d"]) {
            const claims = kubectlJson<{ items: Item[] }>("get", "pvc", "-n", `${PREFIX}${t}`).items;
            assert.strictEqual(claims.length, 3, `${t}: agent, agent's brain and Brain claims`);
            assert.ok(claims.every((c) => c.status?.phase === "Bound"), t);
        }
    });

    it("updates only the stack of the tenant whose config changed, while another tenant's bad image fails alone", () => {
        writeTenant("client-c", { hpa: { maxReplicas: 3 } });
        writeTenant("client-d", { image: "127.0.0.1:5000/m2m/digital-agency@sha256:0bad" });
        try {
            const r = engine.driver("up", PLATFORM);
            assert.strictEqual(r.code, 1, "one stack failed");
            assert.deepStrictEqual(row(r.summary, PLATFORM), ["✅ passed", "No changes."]);
            assert.deepStrictEqual(row(r.summary, `${PLATFORM}.client-b`), ["✅ passed", "No changes."]);
            assert.deepStrictEqual(row(r.summary, `${PLATFORM}.client-c`), ["✅ passed", "Changes: 1 to update."]);
            assert.strictEqual(row(r.summary, `${PLATFORM}.client-d`)[0], "❌ failed");
            assert.match(r.summary, /^# .*: ❌ 1 of 4 failed or not run$/m);
            assert.match(r.summary.slice(r.summary.indexOf("of stack `it-ts.client-d`")), /m2m-platform:agency\.image: image 127\.0\.0\.1:5000\/m2m\/digital-agency@sha256:0bad has a malformed digest/);
            const hpa = kubectlJson("get", "hpa", "agent-hpa", "-n", `${PREFIX}client-c`);
            assert.strictEqual(hpa.spec.maxReplicas, 3);
            const d = kubectlJson("get", "statefulset", "agent", "-n", `${PREFIX}client-d`);
            assert.strictEqual(d.spec.template.spec.containers[0].image, IMAGE, "client-d keeps what it ran");
        } finally {
            writeTenant("client-d");
        }
    });

    it("moves a tenant from the one-stack layout to its own stack and back, keeping its namespace, claims and workloads", () => {
        const before = uids("client-a");
        assert.strictEqual(Object.keys(before).length, 6, `namespace, 3 claims, 2 StatefulSets: ${JSON.stringify(before)}`);
        writePlatform([], ["client-a", "client-b", "client-c", "client-d"]);
        writeTenant("client-a");
        const early = engine.driver("up", PLATFORM, "--tenants", "client-a");
        assert.strictEqual(early.code, 2, "an up before the move would delete the tenant's workloads here and create them there");
        assert.match(early.output, /tenant client-a is listed in agency\.tenantStacks, but its resources are still in stack it-ts's state: run `npm run deploy -- move --stack it-ts --tenants client-a --to stack` first/);

        const there = engine.driver("move", PLATFORM, "--tenants", "client-a", "--to", "stack");
        assert.strictEqual(there.code, 0, there.output);
        let up = engine.driver("up", PLATFORM, "--tenants", "client-a");
        assert.strictEqual(up.code, 0, up.output);
        assert.deepStrictEqual(row(up.summary, PLATFORM), ["✅ passed", "No changes."]);
        assert.deepStrictEqual(row(up.summary, `${PLATFORM}.client-a`), ["✅ passed", "Changes: 1 to create."], "its image reference, a component: nothing in the cluster");
        assert.deepStrictEqual(uids("client-a"), before, "the same namespace, claims and StatefulSets");

        writePlatform(["client-a"], ["client-b", "client-c", "client-d"]);
        const back = engine.driver("move", PLATFORM, "--tenants", "client-a", "--to", "platform");
        assert.strictEqual(back.code, 0, back.output);
        up = engine.driver("up", PLATFORM, "--tenants", "client-b");
        assert.strictEqual(up.code, 0, up.output);
        assert.deepStrictEqual(row(up.summary, PLATFORM), ["✅ passed", "No changes."], "the alias takes the moved tenant as the platform's own");
        assert.deepStrictEqual(uids("client-a"), before, "the same namespace, claims and StatefulSets, back in the platform stack");
        assert.strictEqual(engine.driver("destroy", `${PLATFORM}.client-a`).code, 0, "the emptied tenant stack goes");
        assert.deepStrictEqual(uids("client-a"), before);
    });

    it("destroys one tenant stack, keeping its namespace and claims and touching the platform and the other tenants", () => {
        const others = { a: uids("client-a"), c: uids("client-c"), d: uids("client-d") };
        const agentState = kubectlJson<Item>("get", "statefulset", "agentstate", "-n", `${PREFIX}agentstate`).metadata.uid;
        const claims = Object.entries(uids("client-b")).filter(([k]) => !k.startsWith("StatefulSet/"));
        const r = engine.driver("destroy", PLATFORM, "--tenants", "client-b");
        assert.strictEqual(r.code, 0, r.output);
        assert.doesNotMatch(r.summary, /of stack `it-ts`:/, "the platform stack is not run");
        assert.deepStrictEqual(workloads().filter((w) => w.metadata.namespace === `${PREFIX}client-b`), [], "client-b's workloads are gone");
        assert.deepStrictEqual(Object.entries(uids("client-b")), claims, "its namespace and claims stay, the same ones");
        assert.deepStrictEqual({ a: uids("client-a"), c: uids("client-c"), d: uids("client-d") }, others, "the other tenants untouched");
        assert.strictEqual(kubectlJson<Item>("get", "statefulset", "agentstate", "-n", `${PREFIX}agentstate`).metadata.uid, agentState, "the platform untouched");
    });
});
