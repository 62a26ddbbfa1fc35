// The deploy driver over an installation: a platform stack and its tenant stacks. Its flags
// (--tenants, --concurrency, move's --to), the stack files it checks before any engine
// runs, the order and parallelism of the fan-out, and the one summary it writes.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { fanOut, inParallel } from "../automation/fanout";
import { checkMove, tenantUrn, tenantsInState } from "../automation/move";
import { DEFAULT_CONCURRENCY, UsageError, resolveOptions } from "../automation/options";
import { EXIT, RunSummary, StackRun, installationExitCode, renderInstallation } from "../automation/summary";
import { readInstallation, selectTenants, tenantPolicyConfig } from "../automation/tenants";

const ROOT = path.resolve(__dirname, "..");

/** A project folder with Pulumi.yaml and the given stack files (`config` keys without the project prefix). */
function project(stacks: Record<string, Record<string, unknown>>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-fanout-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: m2m-platform\nruntime: nodejs\n");
    for (const [stack, config] of Object.entries(stacks)) {
        const doc = { config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`m2m-platform:${k}`, v])) };
        fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml.dump(doc));
    }
    return dir;
}

const tenantFile = (platform: string, tenant: string) => ({ environment: "dev", stackKind: "tenant", tenantStack: { platform, tenant } });

/** dev with client-a in the one-stack layout and client-b, client-c as tenant stacks. */
function installationDir(extra: Record<string, Record<string, unknown>> = {}): string {
    return project({
        dev: { environment: "dev", agency: { tenants: ["client-a"], tenantStacks: ["client-b", "client-c"] } },
        "dev.client-b": tenantFile("dev", "client-b"),
        "dev.client-c": tenantFile("dev", "client-c"),
        ...extra,
    });
}

const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof UsageError && message.test(err.message));

describe("deploy driver over tenant stacks", () => {
    describe("flags", () => {
        it("takes --tenants all or names, and --concurrency; every tenant stack and 4 at once by default", () => {
            const o = resolveOptions(["up", "--stack", "dev"], {}, ROOT);
            assert.strictEqual(o.tenants, undefined);
            assert.strictEqual(o.concurrency, DEFAULT_CONCURRENCY);
            assert.strictEqual(resolveOptions(["up", "--stack", "dev", "--tenants", "all"], {}, ROOT).tenants, "all");
            const named = resolveOptions(["preview", "--stack", "dev", "--tenants", "client-b", "client-c", "--concurrency", "2"], {}, ROOT);
            assert.deepStrictEqual(named.tenants, ["client-b", "client-c"]);
            assert.strictEqual(named.concurrency, 2);
        });

        it("refuses --concurrency 0, negative or not a number, naming the flag and an example", () => {
            for (const n of ["0", "-1", "two", "1.5"]) {
                usage(() => resolveOptions(["up", "--stack", "dev", "--concurrency", n], {}, ROOT), new RegExp(`^--concurrency must be a whole number of at least 1, .*\\(got "${n.replace(".", "\\.")}"\\): e\\.g\\. --concurrency 4`));
            }
            usage(() => resolveOptions(["up", "--stack", "dev", "--concurrency"], {}, ROOT), /--concurrency must be a whole number/);
        });

        it("refuses --tenants without a name, all with names, and --tenants with cancel", () => {
            usage(() => resolveOptions(["up", "--stack", "dev", "--tenants"], {}, ROOT), /--tenants needs `all` or the names/);
            usage(() => resolveOptions(["up", "--stack", "dev", "--tenants", "all", "client-b"], {}, ROOT), /not both/);
            usage(() => resolveOptions(["cancel", "--stack", "dev", "--tenants", "client-b"], {}, ROOT), /cancel one stack at a time/);
        });

        it("takes move with --tenants by name and --to stack or platform, nothing else", () => {
            const o = resolveOptions(["move", "--stack", "dev", "--tenants", "client-a", "--to", "stack"], {}, ROOT);
            assert.deepStrictEqual([o.operation, o.tenants, o.moveTo, o.policyPack], ["move", ["client-a"], "stack", undefined]);
            usage(() => resolveOptions(["move", "--stack", "dev", "--tenants", "client-a"], {}, ROOT), /move needs --tenants <tenant>\.\.\. \(by name\) and --to stack\|platform/);
            usage(() => resolveOptions(["move", "--stack", "dev", "--tenants", "all", "--to", "stack"], {}, ROOT), /move needs --tenants <tenant>\.\.\. \(by name\)/);
            usage(() => resolveOptions(["move", "--stack", "dev", "--tenants", "client-a", "--to", "cluster"], {}, ROOT), /--to must be stack .* or platform/);
        });
    });

    describe("the installation's stack files, checked before any engine runs", () => {
        it("reads both layouts from the platform's stack file", () => {
            assert.deepStrictEqual(readInstallation(installationDir(), "dev"), { platform: "dev", tenants: ["client-a"], tenantStacks: ["client-b", "client-c"] });
            assert.deepStrictEqual(readInstallation(project({ dev: { environment: "dev" } }), "dev"), { platform: "dev", tenants: ["client-a"], tenantStacks: [] }, "the declared defaults");
        });

        it("refuses a tenant listed in both layouts, naming both keys", () => {
            const dir = project({ dev: { environment: "dev", agency: { tenants: ["client-a", "client-b"], tenantStacks: ["client-b"] } } });
            usage(() => readInstallation(dir, "dev"), /Pulumi\.dev\.yaml lists client-b in both layouts \(m2m-platform:agency\.tenants and m2m-platform:agency\.tenantStacks\): keep each tenant in one list/);
        });

        it("selects every tenant stack, or those named", () => {
            const dir = installationDir();
            const inst = readInstallation(dir, "dev");
            assert.deepStrictEqual(selectTenants(dir, inst, undefined), ["client-b", "client-c"]);
            assert.deepStrictEqual(selectTenants(dir, inst, "all"), ["client-b", "client-c"]);
            assert.deepStrictEqual(selectTenants(dir, inst, ["client-c"]), ["client-c"]);
        });

        it("refuses --tenants naming an unknown tenant, or a one-stack tenant, listing the tenant stacks", () => {
            const dir = installationDir();
            const inst = readInstallation(dir, "dev");
            usage(() => selectTenants(dir, inst, ["client-x"]), /^--tenants: client-x is no tenant stack of dev \(the tenant stacks of Pulumi\.dev\.yaml's agency\.tenantStacks: client-b, client-c\)\. Fix: name one of them, or all$/);
            usage(() => selectTenants(dir, inst, ["client-a"]), /^--tenants: client-a runs in stack dev itself \(its agency\.tenants\), not as a tenant stack/);
        });

        it("refuses a tenant stack without its stack file, or whose file names another platform or tenant", () => {
            const missing = project({ dev: { environment: "dev", agency: { tenants: [], tenantStacks: ["client-b"] } } });
            usage(() => selectTenants(missing, readInstallation(missing, "dev"), "all"), /no stack file Pulumi\.dev\.client-b\.yaml for tenant stack dev\.client-b: create it with .*m2m-platform:stackKind: tenant and m2m-platform:tenantStack: \{platform: dev, tenant: client-b\}/);
            const wrong = installationDir({ "dev.client-c": tenantFile("prod", "client-c") });
            usage(() => selectTenants(wrong, readInstallation(wrong, "dev"), "all"), /Pulumi\.dev\.client-c\.yaml must set m2m-platform:stackKind to tenant and m2m-platform:tenantStack to \{platform: dev, tenant: client-c\}/);
        });

        it("refuses a move whose destination the platform's stack file does not list yet", () => {
            const dir = installationDir();
            const inst = readInstallation(dir, "dev");
            usage(() => checkMove(dir, inst, ["client-a"], "stack"), /move --to stack: Pulumi\.dev\.yaml does not list client-a in m2m-platform:agency\.tenantStacks\. Fix: first move client-a from agency\.tenants to agency\.tenantStacks there/);
            usage(() => checkMove(dir, inst, ["client-b"], "platform"), /does not list client-b in m2m-platform:agency\.tenants\. Fix: first move client-b from agency\.tenantStacks to agency\.tenants/);
            checkMove(dir, inst, ["client-b"], "stack");
            checkMove(dir, inst, ["client-a"], "platform");
        });

        it("moves the tenant's AgencyTenant, which the platform keeps under its Agency and a tenant stack at its root", () => {
            assert.strictEqual(tenantUrn("dev", "client-b", "platform"), "urn:pulumi:dev::m2m-platform::m2m:platform:Agency$m2m:platform:AgencyTenant::agency-client-b");
            assert.strictEqual(tenantUrn("dev", "client-b", "stack"), "urn:pulumi:dev.client-b::m2m-platform::m2m:platform:AgencyTenant::agency-client-b");
            const state = { resources: [{ urn: tenantUrn("dev", "client-b", "platform"), type: "m2m:platform:AgencyTenant" }, { urn: "urn:pulumi:dev::m2m-platform::m2m:platform:Agency::agency", type: "m2m:platform:Agency" }] };
            assert.deepStrictEqual(tenantsInState(state), ["client-b"]);
        });

        it("runs a tenant stack's pack with the platform's tenant PriorityClass as a cluster class, keeping the rest of the config", () => {
            const cls = { name: "m2m-tenant", value: 1000, preemptionPolicy: "Never" };
            const base = { all: "mandatory", "pods-have-priority-class": { clusterPriorityClasses: [{ name: "system-node-critical", value: 2000001000 }] } };
            assert.deepStrictEqual(tenantPolicyConfig(base, { priorityClass: cls }), {
                all: "mandatory",
                "pods-have-priority-class": { clusterPriorityClasses: [{ name: "system-node-critical", value: 2000001000 }, cls] },
            });
            assert.deepStrictEqual(tenantPolicyConfig({ "pods-have-priority-class": "advisory" }, { priorityClass: cls }), { "pods-have-priority-class": { enforcementLevel: "advisory", clusterPriorityClasses: [cls] } });
        });
    });

    describe("fan-out", () => {
        /** A fake stack run: resolves after `ms`, recording when it started and ended; fails the stacks in `failing`. */
        function recorder(failing: string[] = [], ms = 20) {
            const events: string[] = [];
            let running = 0;
            let peak = 0;
            const run = async (stack: string) => {
                events.push(`start ${stack}`);
                peak = Math.max(peak, ++running);
                await new Promise((r) => setTimeout(r, ms));
                running--;
                events.push(`end ${stack}`);
                return { stack, ok: !failing.includes(stack) };
            };
            return { events, peak: () => peak, run, skip: (stack: string, reason: string) => ({ stack, ok: false, skipped: reason }) };
        }
        const tenants = ["dev.t1", "dev.t2", "dev.t3", "dev.t4", "dev.t5"];

        it("runs the platform stack first, then the tenant stacks, at most --concurrency at once", async () => {
            const r = recorder();
            const out = await fanOut({ operation: "up", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 2, run: r.run, skip: r.skip });
            assert.deepStrictEqual(r.events.slice(0, 2), ["start dev", "end dev"], "the platform completes before any tenant starts");
            assert.strictEqual(r.peak(), 2, "never more than 2 tenant stacks at once");
            assert.deepStrictEqual(out.map((o) => o.stack), ["dev", ...tenants], "outcomes in the platform-then-tenants order");
        });

        it("runs every tenant stack at once when the limit allows, and one at a time with --concurrency 1", async () => {
            const wide = recorder();
            await fanOut({ operation: "preview", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 10, run: wide.run, skip: wide.skip });
            assert.strictEqual(wide.peak(), 5);
            const one = recorder();
            await fanOut({ operation: "preview", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 1, run: one.run, skip: one.skip });
            assert.strictEqual(one.peak(), 1);
        });

        it("runs and reports every other tenant stack when one fails", async () => {
            const r = recorder(["dev.t2"]);
            const out = await fanOut({ operation: "up", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 3, run: r.run, skip: r.skip });
            assert.deepStrictEqual(out.map((o) => [o.stack, o.ok]), [["dev", true], ["dev.t1", true], ["dev.t2", false], ["dev.t3", true], ["dev.t4", true], ["dev.t5", true]]);
        });

        it("runs no tenant stack after a failed platform update, and says why; a preview still previews them", async () => {
            const r = recorder(["dev"]);
            const out = await fanOut({ operation: "up", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 3, run: r.run, skip: r.skip });
            assert.deepStrictEqual(r.events, ["start dev", "end dev"]);
            assert.ok(out.slice(1).every((o) => (o as { skipped?: string }).skipped === "not run: platform stack dev failed"));
            const p = recorder(["dev"]);
            await fanOut({ operation: "preview", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 3, run: p.run, skip: p.skip });
            assert.strictEqual(p.events.length, 12);
        });

        it("destroys the tenant stacks first and then the platform; named tenants alone leave the platform", async () => {
            const all = recorder();
            const out = await fanOut({ operation: "destroy", platform: "dev", withPlatform: true, tenantStacks: tenants, concurrency: 5, run: all.run, skip: all.skip });
            assert.deepStrictEqual(all.events.slice(-2), ["start dev", "end dev"], "the platform last");
            assert.strictEqual(out[0].stack, "dev", "reported first all the same");
            const one = recorder();
            await fanOut({ operation: "destroy", platform: "dev", withPlatform: false, tenantStacks: ["dev.t3"], concurrency: 5, run: one.run, skip: one.skip });
            assert.deepStrictEqual(one.events, ["start dev.t3", "end dev.t3"]);
        });

        it("keeps results in order whatever order the runs finish in", async () => {
            const out = await inParallel([30, 10, 20], 3, async (ms) => {
                await new Promise((r) => setTimeout(r, ms));
                return ms;
            });
            assert.deepStrictEqual(out, [30, 10, 20]);
        });
    });

    describe("the one summary", () => {
        const run = (stack: string, opts: { tenant?: string; error?: string; created?: number; skipped?: string } = {}): StackRun => {
            const summary = new RunSummary("up", stack);
            if (opts.error) {
                summary.errors.push(opts.error);
            }
            summary.totals = opts.created ? { create: opts.created } : { same: 16 };
            return { stack, tenant: opts.tenant, summary, outputs: {}, skipped: opts.skipped };
        };

        it("has a table of every stack's outcome, then each stack's own section, and says which tenant failed", () => {
            const runs = [run("dev"), run("dev.client-b", { tenant: "client-b", created: 16 }), run("dev.client-c", { tenant: "client-c", error: 'error: resource "agent" was not successfully created: ImagePullBackOff' })];
            const md = renderInstallation("up", "dev", runs);
            assert.match(md, /^# `pulumi up` of platform stack `dev` and its tenant stacks: ❌ 1 of 3 failed or not run$/m);
            assert.match(md, /^\| `dev` \| platform \| ✅ passed \| No changes\. \|$/m);
            assert.match(md, /^\| `dev\.client-b` \| tenant `client-b` \| ✅ passed \| Changes: 16 to create\. \|$/m);
            assert.match(md, /^\| `dev\.client-c` \| tenant `client-c` \| ❌ failed \| No changes\. \|$/m);
            for (const s of ["dev", "dev.client-b", "dev.client-c"]) {
                assert.match(md, new RegExp(`^## \`pulumi up\` of stack \`${s.replace(".", "\\.")}\``, "m"), `a section for ${s}`);
            }
            assert.match(md.slice(md.indexOf("of stack `dev.client-c`")), /### Errors\n\n- error: resource "agent" was not successfully created: ImagePullBackOff/);
            assert.strictEqual(installationExitCode(runs), EXIT.failed);
        });

        it("exits 0 when every stack passed, 1 when one was not run", () => {
            assert.strictEqual(installationExitCode([run("dev"), run("dev.client-b", { tenant: "client-b" })]), EXIT.ok);
            const skipped = [run("dev", { error: "error: update failed" }), run("dev.client-b", { tenant: "client-b", skipped: "not run: platform stack dev failed" })];
            assert.strictEqual(installationExitCode(skipped), EXIT.failed);
            assert.match(renderInstallation("up", "dev", skipped), /^\| `dev\.client-b` \| tenant `client-b` \| ⏭ not run \| not run: platform stack dev failed \|$/m);
        });
    });

    describe("workflow", () => {
        it("previews and deploys the platform stack and every tenant stack through the same fan-out", () => {
            const wf = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8")) as { jobs: { deploy: { steps: { name?: string; run?: string }[] } } };
            const step = (name: string) => wf.jobs.deploy.steps.find((s) => s.name === name)?.run ?? "";
            assert.match(step("Preview"), /^npm run deploy -- preview --stack "\$STACK" --tenants all --summary pulumi-summary\.md/);
            assert.match(step("Up"), /^npm run deploy -- up --stack "\$STACK" --tenants all --summary pulumi-summary\.md/);
        });
    });
});
