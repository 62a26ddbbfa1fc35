import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { DEV_PASSPHRASE, UsageError, resolveOptions } from "../automation/options";
import { removeEmptyCheckpointAttributes } from "../automation/recover";
import { EXIT, RunSummary, tierOf } from "../automation/summary";

const ROOT = path.resolve(__dirname, "..");

describe("deploy driver", () => {
    describe("options", () => {
        it("previews dev on a local file backend under the project, with the dev passphrase and dev policy config", () => {
            const o = resolveOptions(["preview", "--stack", "dev"], {}, ROOT);
            assert.strictEqual(o.operation, "preview");
            assert.strictEqual(o.environment, "dev");
            assert.strictEqual(o.backendUrl, `file://${path.join(ROOT, ".state")}`);
            assert.deepStrictEqual(o.env, { PULUMI_NODEJS_TRANSPILE_ONLY: "true", PULUMI_BACKEND_URL: o.backendUrl, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE });
            assert.strictEqual(o.policyPack, path.join(ROOT, "policy"));
            assert.strictEqual(o.policyPackConfig, path.join(ROOT, "policy", "config", "dev.json"));
        });

        it("runs the program transpile-only (npm test type-checks it), unless PULUMI_NODEJS_TRANSPILE_ONLY=false", () => {
            assert.strictEqual(resolveOptions(["up", "--stack", "dev"], {}, ROOT).env.PULUMI_NODEJS_TRANSPILE_ONLY, "true");
            assert.strictEqual(resolveOptions(["up", "--stack", "dev"], { PULUMI_NODEJS_TRANSPILE_ONLY: "false" }, ROOT).env.PULUMI_NODEJS_TRANSPILE_ONLY, "false");
        });

        it("refuses to change a prod stack from CI on a file backend, naming PULUMI_BACKEND_URL; previews and dev stacks may", () => {
            const pp = { PULUMI_CONFIG_PASSPHRASE: "x", CI: "true" };
            for (const op of ["up", "destroy", "refresh"]) {
                assert.throws(() => resolveOptions([op, "--stack", "prod"], pp, ROOT), (e: unknown) => e instanceof UsageError && /refusing to .* a prod stack on file:.* in CI.*Set PULUMI_BACKEND_URL/.test(e.message), op);
            }
            assert.strictEqual(resolveOptions(["preview", "--stack", "prod"], pp, ROOT).operation, "preview");
            assert.strictEqual(resolveOptions(["up", "--stack", "dev"], { CI: "true" }, ROOT).operation, "up");
            assert.strictEqual(resolveOptions(["up", "--stack", "prod"], { ...pp, PULUMI_BACKEND_URL: "s3://state?endpoint=127.0.0.1:8333" }, ROOT).operation, "up");
            assert.strictEqual(resolveOptions(["up", "--stack", "prod"], { PULUMI_CONFIG_PASSPHRASE: "x" }, ROOT).operation, "up", "outside CI a file backend is the user's choice");
        });

        it("refuses an S3 backend URL without a bucket", () => {
            for (const url of ["s3://", "s3://?endpoint=127.0.0.1:8333", "s3:///state"]) {
                assert.throws(() => resolveOptions(["preview", "--stack", "dev"], { PULUMI_BACKEND_URL: url }, ROOT), (e: unknown) => e instanceof UsageError && /names no bucket: use s3:\/\/<bucket>/.test(e.message), url);
            }
        });

        it("lets PULUMI_BACKEND_URL override the backend", () => {
            const o = resolveOptions(["up", "--stack", "dev"], { PULUMI_BACKEND_URL: "s3://bucket/state" }, ROOT);
            assert.strictEqual(o.env.PULUMI_BACKEND_URL, "s3://bucket/state");
        });

        it("refuses a prod stack without the user's passphrase", () => {
            assert.throws(() => resolveOptions(["up", "--stack", "prod"], {}, ROOT), (e: unknown) => e instanceof UsageError && /PULUMI_CONFIG_PASSPHRASE/.test(e.message));
        });

        it("uses the user's passphrase (or passphrase file) and the prod policy config for prod", () => {
            const o = resolveOptions(["preview", "-s", "prod"], { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/pp" }, ROOT);
            assert.deepStrictEqual(Object.keys(o.env).sort(), ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_NODEJS_TRANSPILE_ONLY"]);
            assert.strictEqual(o.policyPackConfig, path.join(ROOT, "policy", "config", "prod.json"));
        });

        it("runs the pack named by --policy-pack or M2M_POLICY_PACK (a staged copy), and refuses a folder without PulumiPolicy.yaml", () => {
            const staged = fs.mkdtempSync(path.join(os.tmpdir(), "pack-"));
            fs.writeFileSync(path.join(staged, "PulumiPolicy.yaml"), "runtime: nodejs-legacy\n");
            assert.strictEqual(resolveOptions(["preview", "--stack", "dev"], { M2M_POLICY_PACK: staged }, ROOT).policyPack, staged);
            assert.strictEqual(resolveOptions(["preview", "--stack", "dev", "--policy-pack", staged], {}, ROOT).policyPack, staged);
            assert.throws(
                () => resolveOptions(["preview", "--stack", "dev", "--policy-pack", os.tmpdir()], {}, ROOT),
                (e: unknown) => e instanceof UsageError && /no policy pack at .*--policy-pack or M2M_POLICY_PACK/.test(e.message),
            );
            fs.rmSync(staged, { recursive: true });
        });

        it("refreshes (optionally clearing pending creates) and cancels a stale lock, without the policy pack", () => {
            const refresh = resolveOptions(["refresh", "--stack", "dev", "--clear-pending-creates"], {}, ROOT);
            assert.strictEqual(refresh.operation, "refresh");
            assert.strictEqual(refresh.clearPendingCreates, true);
            assert.strictEqual(refresh.policyPack, undefined);
            assert.strictEqual(resolveOptions(["cancel", "--stack", "dev"], {}, ROOT).policyPack, undefined);
            assert.throws(() => resolveOptions(["up", "--stack", "dev", "--clear-pending-creates"], {}, ROOT), /unknown argument "--clear-pending-creates"/);
        });

        it("checks a stack for drift (a refresh preview) without the policy pack; only refresh clears pending creates", () => {
            const o = resolveOptions(["drift", "--stack", "prod", "--summary", "f"], { PULUMI_CONFIG_PASSPHRASE: "pp" }, ROOT);
            assert.strictEqual(o.operation, "drift");
            assert.strictEqual(o.environment, "prod");
            assert.strictEqual(o.policyPack, undefined);
            assert.strictEqual(o.summaryPath, path.join(ROOT, "f"));
            assert.throws(() => resolveOptions(["drift", "--stack", "prod"], {}, ROOT), (e: unknown) => e instanceof UsageError && /PULUMI_CONFIG_PASSPHRASE/.test(e.message));
            assert.throws(() => resolveOptions(["drift", "--stack", "dev", "--clear-pending-creates"], {}, ROOT), /unknown argument "--clear-pending-creates"/);
        });

        it("runs destroy without the policy pack", () => {
            const o = resolveOptions(["destroy", "--stack", "dev"], {}, ROOT);
            assert.strictEqual(o.policyPack, undefined);
        });

        it("rejects an unknown operation, a missing stack, an unknown stack and unknown flags", () => {
            assert.throws(() => resolveOptions(["deploy", "--stack", "dev"], {}, ROOT), /unknown or missing operation/);
            assert.throws(() => resolveOptions(["up"], {}, ROOT), /--stack is required/);
            assert.throws(() => resolveOptions(["up", "--stack", "staging"], {}, ROOT), /no stack file Pulumi.staging.yaml/);
            assert.throws(() => resolveOptions(["up", "--stack", "dev", "--yes"], {}, ROOT), /unknown argument "--yes"/);
        });
    });

    describe("workflow", () => {
        it("checks prod for drift through the driver every day and on demand, in a job of its own", () => {
            const wf = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8")) as any;
            assert.ok(wf.on.schedule?.[0]?.cron, "a cron schedule");
            assert.ok("workflow_dispatch" in wf.on);
            assert.strictEqual(wf.env.STACK, "prod");
            const drift = wf.jobs.drift;
            assert.match(drift.if, /schedule/);
            assert.match(drift.if, /workflow_dispatch/);
            assert.ok(drift.steps.some((s: any) => /^npm run deploy -- drift --stack "\$STACK" --summary \S+/.test(s.run ?? "")));
            assert.strictEqual(drift.concurrency, "pulumi-main", "never while an up on main changes prod");
            assert.doesNotMatch(wf.jobs.deploy.if, /schedule|workflow_dispatch/, "a scheduled run neither previews nor deploys");
        });
    });

    describe("recovery", () => {
        it("removes the empty checkpoint attributes a killed write leaves, and nothing else", () => {
            const backend = fs.mkdtempSync(path.join(os.tmpdir(), "backend-"));
            const dir = path.join(backend, ".pulumi", "stacks", "m2m-platform");
            fs.mkdirSync(dir, { recursive: true });
            const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
            write("dev.json", "{}");
            write("dev.json.attrs", "");
            write("dev.json.bak.attrs", '{"ContentType":"application/json"}');
            write("prod.json.attrs", "");
            assert.deepStrictEqual(removeEmptyCheckpointAttributes(backend, "m2m-platform", "dev"), [path.join(dir, "dev.json.attrs")]);
            assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["dev.json", "dev.json.bak.attrs", "prod.json.attrs"]);
            fs.rmSync(backend, { recursive: true });
        });
    });

    describe("summary", () => {
        it("shows a preview's own outputs (not the last update's), secrets hidden and unknown values named", () => {
            const s = new RunSummary("preview", "dev");
            s.onEvent({
                sequence: 1,
                timestamp: 0,
                resOutputsEvent: {
                    metadata: {
                        op: "update",
                        urn: "urn:pulumi:dev::m2m-platform::pulumi:pulumi:Stack::m2m-platform-dev",
                        type: "pulumi:pulumi:Stack",
                        new: { type: "pulumi:pulumi:Stack", urn: "", id: "", parent: "", inputs: {}, provider: "", outputs: { btpUrl: "ws://b:4000", capKeys: "[secret]", tigerBeetleClusterId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } },
                    },
                },
            } as unknown as EngineEvent);
            const text = s.render(s.previewOutputs());
            assert.match(text, /\| `btpUrl` \| `"ws:\/\/b:4000"` \|/);
            assert.match(text, /\| `capKeys` \| \*\(secret\)\* \|/);
            assert.match(text, /\| `tigerBeetleClusterId` \| `"\(known after apply\)"` \|/);
        });

        const urn = (chain: string, name: string) => `urn:pulumi:prod::m2m-platform::${chain}::${name}`;
        const pre = (op: string, chain: string, name: string): EngineEvent =>
            ({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn: urn(chain, name), type: chain.split("$").pop(), provider: "" } } }) as unknown as EngineEvent;

        it("attributes resources to their tier through the URN's type chain", () => {
            assert.strictEqual(tierOf(urn("m2m:platform:Connector$kubernetes:apps/v1:Deployment", "connector-deployment")), "Connector");
            assert.strictEqual(tierOf(urn("m2m:platform:Agency$m2m:platform:AgencyTenant$kubernetes:apps/v1:StatefulSet", "a")), "Agency");
            assert.strictEqual(tierOf(urn("pulumi:providers:kubernetes", "default")), "stack");
        });

        it("lists changes by tier, leaving out unchanged resources", () => {
            const s = new RunSummary("preview", "prod");
            s.onEvent(pre("update", "m2m:platform:Connector$kubernetes:apps/v1:Deployment", "connector-deployment"));
            s.onEvent(pre("same", "m2m:platform:Connector$kubernetes:core/v1:Service", "connector-service"));
            s.onEvent(pre("create", "m2m:platform:Agency$m2m:platform:AgencyTenant$kubernetes:core/v1:Namespace", "agency-client-c-ns"));
            const md = s.render();
            assert.match(md, /\| Connector \| update \| `connector-deployment` \| `kubernetes:apps\/v1:Deployment` \|/);
            assert.match(md, /\| Agency \| create \| `agency-client-c-ns` \|/);
            assert.ok(!md.includes("connector-service"));
        });

        it("fails on a mandatory violation and reports it with its level and message", () => {
            const s = new RunSummary("preview", "prod");
            s.onEvent({
                sequence: 1,
                timestamp: 0,
                policyEvent: {
                    policyName: "tigerbeetle-replica-quorum",
                    enforcementLevel: "mandatory",
                    message: "StatefulSet tigerbeetle/tigerbeetle: 2 replicas | even\nmore",
                    resourceUrn: urn("m2m:platform:TigerBeetleCluster$kubernetes:apps/v1:StatefulSet", "tigerbeetle-statefulset"),
                    color: "never",
                    policyPackName: "m2m-platform",
                    policyPackVersion: "0.1.0",
                    policyPackVersionTag: "0.1.0",
                },
            } as EngineEvent);
            assert.strictEqual(s.failed, true);
            assert.match(s.render(), /\| mandatory \| `tigerbeetle-replica-quorum` \| `tigerbeetle-statefulset` \| StatefulSet tigerbeetle\/tigerbeetle: 2 replicas \\\| even<br>more \|/);
        });

        it("passes with advisory violations only", () => {
            const s = new RunSummary("preview", "dev");
            s.onEvent({ sequence: 1, timestamp: 0, policyEvent: { policyName: "ingress-requires-tls", enforcementLevel: "warning", message: "m" } } as unknown as EngineEvent);
            assert.strictEqual(s.failed, false);
            assert.match(s.render(), /✅ passed/);
        });

        it("fails on engine errors", () => {
            const s = new RunSummary("up", "dev");
            s.onEvent({ sequence: 1, timestamp: 0, diagnosticEvent: { severity: "error", message: "boom", color: "never" } } as EngineEvent);
            assert.strictEqual(s.failed, true);
            assert.match(s.render(), /### Errors\n\n- boom/);
        });

        describe("drift", () => {
            const SECRET_VALUE = "0xdeadbeefc0ffee-settlement-key";
            /** What the engine reports for a resource a refresh has read: `same`, `update` or `delete`. */
            const refreshed = (op: string, chain: string, name: string, diff: Partial<Record<"detailedDiff" | "diffs" | "old" | "new", unknown>> = {}): EngineEvent =>
                ({ sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { op, urn: urn(chain, name), type: chain.split("$").pop(), provider: "", ...diff }, planning: true } }) as unknown as EngineEvent;
            const summaryEvent = (changes: Record<string, number>): EngineEvent =>
                ({ sequence: 9, timestamp: 0, summaryEvent: { resourceChanges: changes, maybeCorrupt: false, durationSeconds: 1, policyPacks: {} } }) as EngineEvent;
            const drifted = () => {
                const s = new RunSummary("drift", "prod");
                s.onEvent(pre("refresh", "m2m:platform:Connector$kubernetes:apps/v1:Deployment", "connector-deployment"));
                s.onEvent(
                    refreshed("update", "m2m:platform:Connector$kubernetes:apps/v1:Deployment", "connector-deployment", {
                        diffs: ["spec"],
                        detailedDiff: { "spec.replicas": { diffKind: "update", inputDiff: true }, "metadata.labels.owner": { diffKind: "add", inputDiff: true } },
                        old: { outputs: { spec: { replicas: 2 } } },
                        new: { outputs: { spec: { replicas: 5 } } },
                    }),
                );
                // A credential edited in the cluster: the summary names the key, never a value.
                s.onEvent(
                    refreshed("update", "m2m:platform:Connector$kubernetes:core/v1:Secret", "connector-secrets", {
                        detailedDiff: { "data.EVM_PRIVATE_KEY": { diffKind: "update", inputDiff: false } },
                        old: { inputs: { stringData: { EVM_PRIVATE_KEY: SECRET_VALUE } }, outputs: { data: { EVM_PRIVATE_KEY: "[secret]" } } },
                        new: { inputs: { stringData: { EVM_PRIVATE_KEY: `${SECRET_VALUE}-edited` } }, outputs: { data: { EVM_PRIVATE_KEY: Buffer.from(SECRET_VALUE).toString("base64") } } },
                    }),
                );
                s.onEvent(refreshed("delete", "m2m:platform:AgentState$kubernetes:networking.k8s.io/v1:NetworkPolicy", "agentstate-allow-ingress"));
                s.onEvent(refreshed("same", "m2m:platform:Connector$kubernetes:core/v1:Service", "connector-service"));
                s.onEvent(refreshed("same", "pulumi:pulumi:Stack", "m2m-platform-prod"));
                s.onEvent(summaryEvent({ update: 2, delete: 1, same: 120 }));
                return s;
            };

            it("lists every object changed outside Pulumi with its URN, type and the properties that differ, and exits 3", () => {
                const s = drifted();
                const md = s.render();
                assert.match(md, /^## `pulumi refresh --preview-only` of stack `prod`: ❌ drift/);
                assert.match(md, /### Drift\n\n3 objects differ from the stack's state, changed outside Pulumi:/);
                assert.match(
                    md,
                    /\| `connector-deployment` \| `kubernetes:apps\/v1:Deployment` \| changed \| `metadata\.labels\.owner \(added\)`, `spec\.replicas \(changed\)` \| `urn:pulumi:prod::m2m-platform::m2m:platform:Connector\$kubernetes:apps\/v1:Deployment::connector-deployment` \|/,
                );
                assert.match(md, /\| `connector-secrets` \| `kubernetes:core\/v1:Secret` \| changed \| `data\.EVM_PRIVATE_KEY \(changed\)` \|/);
                assert.match(md, /\| `agentstate-allow-ingress` \| `kubernetes:networking\.k8s\.io\/v1:NetworkPolicy` \| deleted \| \(the object is gone\) \|/);
                assert.ok(!md.includes("connector-service"), "unchanged objects are not listed");
                assert.deepStrictEqual([...s.drift.keys()].length, 3);
                assert.strictEqual(s.failed, false, "drift is not an engine failure");
                assert.strictEqual(s.exitCode, EXIT.drift);
                assert.strictEqual(EXIT.drift, 3);
            });

            it("never prints a value, secret or not", () => {
                const md = drifted().render();
                for (const value of [SECRET_VALUE, Buffer.from(SECRET_VALUE).toString("base64"), "[secret]", '"replicas":5', "5 "]) {
                    assert.ok(!md.includes(value), `the summary holds ${value}`);
                }
            });

            it("says so when nothing drifted, and exits 0", () => {
                const s = new RunSummary("drift", "prod");
                s.onEvent(refreshed("same", "m2m:platform:Connector$kubernetes:apps/v1:Deployment", "connector-deployment"));
                s.onEvent(summaryEvent({ same: 123 }));
                const md = s.render();
                assert.match(md, /: ✅ passed/);
                assert.match(md, /### Drift\n\nNone: every object matches the stack's state\./);
                assert.ok(!md.includes("### Policy violations"), "a drift check runs no policy pack");
                assert.strictEqual(s.exitCode, EXIT.ok);
            });

            it("fails with 1, not 3, when the check itself fails, and does not claim there is no drift", () => {
                const s = new RunSummary("drift", "prod");
                s.onEvent({ sequence: 1, timestamp: 0, diagnosticEvent: { severity: "error", message: "configured Kubernetes cluster is unreachable", color: "never" } } as EngineEvent);
                assert.strictEqual(s.exitCode, EXIT.failed);
                assert.match(s.render(), /### Drift\n\nNot known: the check did not complete \(see Errors\)\./);
            });

            it("names the properties from the engine's changed keys, or from the outputs, when it has no detailed diff", () => {
                const s = new RunSummary("drift", "prod");
                s.onEvent(refreshed("update", "kubernetes:core/v1:ConfigMap", "a", { diffs: ["data"] }));
                s.onEvent(refreshed("update", "kubernetes:core/v1:ConfigMap", "b", { old: { outputs: { data: { k: "1" }, kind: "ConfigMap" } }, new: { outputs: { data: { k: "2" }, kind: "ConfigMap", immutable: true } } }));
                assert.deepStrictEqual(s.drift.get(urn("kubernetes:core/v1:ConfigMap", "a"))?.properties, ["data (changed)"]);
                assert.deepStrictEqual(s.drift.get(urn("kubernetes:core/v1:ConfigMap", "b"))?.properties, ["data (changed)", "immutable (added)"]);
            });

            it("lists what a refresh took into the state, without failing it", () => {
                const s = new RunSummary("refresh", "prod");
                s.onEvent(refreshed("update", "kubernetes:apps/v1:Deployment", "d", { diffs: ["spec"] }));
                assert.match(s.render(), /### Drift\n\n1 object differed \(the refresh took them into the state\) from the stack's state/);
                assert.strictEqual(s.exitCode, EXIT.ok);
            });

            it("is not reported for an up, whose updates are the program's own", () => {
                const s = new RunSummary("up", "prod");
                s.onEvent(refreshed("update", "kubernetes:apps/v1:Deployment", "d", { diffs: ["spec"] }));
                assert.strictEqual(s.drift.size, 0);
                assert.ok(!s.render().includes("### Drift"));
            });
        });

        it("exits 1 on a mandatory violation", () => {
            const s = new RunSummary("preview", "prod");
            s.onEvent({ sequence: 1, timestamp: 0, policyEvent: { policyName: "p", enforcementLevel: "mandatory", message: "m" } } as unknown as EngineEvent);
            assert.strictEqual(s.exitCode, EXIT.failed);
        });

        it("shows exported endpoints and hides secret outputs", () => {
            const s = new RunSummary("up", "prod");
            s.onEvent({ sequence: 9, timestamp: 0, summaryEvent: { resourceChanges: { create: 3, same: 10 }, maybeCorrupt: false, durationSeconds: 1, policyPacks: {} } } as EngineEvent);
            const md = s.render({
                explorerUrl: { value: "https://explorer.example.com", secret: false },
                capKeys: { value: { active: "c2VjcmV0" }, secret: true },
            });
            assert.match(md, /Changes: 3 to create\./);
            assert.match(md, /\| `explorerUrl` \| `"https:\/\/explorer.example.com"` \|/);
            assert.match(md, /\| `capKeys` \| \*\(secret\)\* \|/);
            assert.ok(!md.includes("c2VjcmV0"));
        });
    });
});
