import { createHash } from "crypto";
import * as assert from "assert";
import { CapturedStack, PROD_SECRETS, captureStack, label, ofKind, podSpec, workloads } from "./harness";

/** Invariants that hold for every tier, in both stacks. */
describe("platform", () => {
    const stacks: Record<string, CapturedStack> = {};
    before(async () => {
        stacks.dev = await captureStack("dev");
        stacks.prod = await captureStack("prod");
    });

    for (const name of ["dev", "prod"]) {
        describe(`the ${name} stack`, () => {
            const s = () => stacks[name];

            it("gives every container CPU and memory requests and limits", () => {
                for (const w of workloads(s())) {
                    for (const c of podSpec(w).containers) {
                        for (const kind of ["requests", "limits"]) {
                            assert.ok(c.resources?.[kind]?.cpu && c.resources?.[kind]?.memory, `${label(w)} ${c.name} ${kind}`);
                        }
                    }
                }
            });

            it("gives every container liveness and readiness probes", () => {
                for (const w of workloads(s())) {
                    for (const c of podSpec(w).containers) {
                        assert.ok(c.livenessProbe && c.readinessProbe, `${label(w)} ${c.name}`);
                    }
                }
            });

            it("selects pods by labels the pod template carries", () => {
                for (const w of workloads(s())) {
                    const selector = w.props.spec.selector.matchLabels;
                    const labels = w.props.spec.template.metadata.labels;
                    for (const [k, v] of Object.entries(selector)) {
                        assert.strictEqual(labels[k], v, `${label(w)} selector ${k}`);
                    }
                }
            });

            it("points every Service, PDB and HPA at an existing workload", () => {
                // A StatefulSet's pods also carry their own name (statefulset.kubernetes.io/pod-name).
                const podNames = (w: any) => (w.type.endsWith(":StatefulSet") ? Array.from({ length: w.props.spec.replicas }, (_, i) => `${w.props.metadata.name}-${i}`) : [undefined]);
                const templates = workloads(s()).flatMap((w) =>
                    podNames(w).map((pod) => ({ ns: w.props.metadata.namespace, labels: { ...w.props.spec.template.metadata.labels, ...(pod ? { "statefulset.kubernetes.io/pod-name": pod } : {}) }, w })),
                );
                const matches = (ns: string, sel: Record<string, string>) =>
                    templates.some((t) => t.ns === ns && Object.entries(sel).every(([k, v]) => t.labels[k] === v));
                for (const svc of ofKind(s(), "Service")) {
                    assert.ok(matches(svc.props.metadata.namespace, svc.props.spec.selector), label(svc));
                }
                for (const pdb of ofKind(s(), "PodDisruptionBudget")) {
                    assert.ok(matches(pdb.props.metadata.namespace, pdb.props.spec.selector.matchLabels), label(pdb));
                }
                for (const hpa of ofKind(s(), "HorizontalPodAutoscaler")) {
                    const ref = hpa.props.spec.scaleTargetRef;
                    assert.ok(
                        templates.some((t) => t.ns === hpa.props.metadata.namespace && t.w.props.metadata.name === ref.name && t.w.type.endsWith(`:${ref.kind}`)),
                        label(hpa),
                    );
                }
            });

            it("awaits workloads, not Services: every Service skips the provider's endpoint wait", () => {
                for (const svc of ofKind(s(), "Service")) {
                    assert.strictEqual(svc.props.metadata.annotations?.["pulumi.com/skipAwait"], "true", label(svc));
                }
                for (const w of workloads(s())) {
                    assert.strictEqual(w.props.metadata.annotations?.["pulumi.com/skipAwait"], undefined, `${label(w)} is awaited until Ready`);
                }
            });

            it("labels every Kubernetes object with the recommended labels", () => {
                for (const r of s().resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                    const labels = r.props.metadata.labels ?? {};
                    for (const key of ["name", "instance", "component", "part-of", "managed-by"]) {
                        assert.ok(labels[`app.kubernetes.io/${key}`], `${label(r)} lacks app.kubernetes.io/${key}`);
                    }
                    assert.strictEqual(labels["app.kubernetes.io/part-of"], "m2m-platform");
                }
            });

            it("runs every pod non-root, read-only, without privilege escalation or capabilities, and without a service account token", () => {
                for (const w of workloads(s())) {
                    const pod = podSpec(w);
                    assert.strictEqual(pod.securityContext.runAsNonRoot, true, label(w));
                    assert.strictEqual(pod.automountServiceAccountToken, false, label(w));
                    assert.notStrictEqual(pod.serviceAccountName ?? "default", "default", label(w));
                    assert.ok(!pod.hostNetwork && !pod.hostPID && !(pod.volumes ?? []).some((v: any) => v.hostPath), label(w));
                    for (const c of pod.containers) {
                        assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] }, `${label(w)} ${c.name}`);
                        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
                        assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
                    }
                }
            });

            it("puts nothing in the default namespace", () => {
                const clusterScoped = [":Namespace", ":PriorityClass"];
                for (const r of s().resources.filter((x) => x.type.startsWith("kubernetes:") && !clusterScoped.some((k) => x.type.endsWith(k)))) {
                    assert.ok(r.props.metadata.namespace && r.props.metadata.namespace !== "default", label(r));
                }
            });

            it("gives every namespace with workloads a default-deny policy and policies selecting its pods", () => {
                const policies = ofKind(s(), "NetworkPolicy");
                for (const w of workloads(s())) {
                    const ns = w.props.metadata.namespace;
                    const inNs = policies.filter((p) => p.props.metadata.namespace === ns);
                    assert.ok(
                        inNs.some((p) => p.props.metadata.name === "default-deny" && p.props.spec.policyTypes.length === 2),
                        `${ns} default deny`,
                    );
                    const labels = w.props.spec.template.metadata.labels;
                    const allows = inNs.filter(
                        (p) =>
                            p.props.metadata.name !== "default-deny" &&
                            p.props.spec.ingress?.length &&
                            Object.entries(p.props.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
                    );
                    assert.ok(allows.length > 0, `${label(w)} has an allow policy`);
                }
            });

            it("parents every resource to a tier component", () => {
                const byUrn = new Map(s().resources.map((r) => [r.urn, r]));
                const top = (r: (typeof s extends () => infer S ? S : never)["resources"][number]): string => {
                    const parent = r.parent ? byUrn.get(r.parent) : undefined;
                    return parent ? top(parent) : r.type;
                };
                const tiers = ["TigerBeetleCluster", "Connector", "AgentRuntime", "BusinessLogic", "AgentState", "Agency", "PriorityClasses"].map((t) => `m2m:platform:${t}`);
                // The one read of the stack's own last outputs (the ledger's snapshot record) is the stack's.
                const orphans = s().resources.filter((r) => r.custom && !tiers.includes(top(r)) && r.name !== "last-update-tigerBeetleSnapshots");
                assert.deepStrictEqual(orphans.map((r) => `${r.type} ${r.name} (under ${top(r)})`), []);
                const roots = new Set(s().resources.filter((r) => !r.parent && r.name !== "last-update-tigerBeetleSnapshots").map((r) => r.type));
                assert.deepStrictEqual([...roots].sort(), [...tiers].sort(), "the tiers are the only top-level resources");
            });
        });
    }

    it("keeps secret config out of every ConfigMap and every plain output", () => {
        const prod = stacks.prod;
        const secrets = Object.values(PROD_SECRETS);
        for (const cm of ofKind(prod, "ConfigMap")) {
            const text = JSON.stringify(cm.props);
            assert.ok(!secrets.some((v) => text.includes(v)), label(cm));
        }
        for (const [key, value] of Object.entries(prod.outputs)) {
            if (!prod.secretOutputs.has(key)) {
                assert.ok(!secrets.some((v) => (JSON.stringify(value) ?? "").includes(v)), key);
            }
        }
    });

    it("protects the stateful workloads in prod only, and the ledger's identity everywhere", () => {
        const prot = (s: CapturedStack) => s.resources.filter((r) => r.protect).map((r) => r.name).sort();
        assert.deepStrictEqual(prot(stacks.dev), ["tigerbeetle-identity"]);
        assert.deepStrictEqual(prot(stacks.prod), [
            "agentstate-statefulset",
            "business-logic-postgres",
            "tigerbeetle-cluster-id",
            "tigerbeetle-identity",
            "tigerbeetle-statefulset",
        ]);
    });

    it("differs between dev and prod as the checklist requires", () => {
        const count = (s: CapturedStack, kind: string) => ofKind(s, kind).length;
        assert.strictEqual(count(stacks.dev, "Ingress"), 0);
        assert.strictEqual(count(stacks.prod, "Ingress"), 3);
        assert.ok(ofKind(stacks.prod, "Ingress").every((i) => i.props.spec.tls?.length === 1));
        assert.ok(count(stacks.prod, "PodDisruptionBudget") > count(stacks.dev, "PodDisruptionBudget"));
    });

    describe("scheduling and disruption in prod", () => {
        const prod = () => stacks.prod;
        const byName = (name: string) => workloads(prod()).find((w) => w.props.metadata.name === name)!;
        const hostSpread = (w: ReturnType<typeof byName>) =>
            (podSpec(w).topologySpreadConstraints ?? []).find((c: any) => c.topologyKey === "kubernetes.io/hostname");

        it("places at most one TigerBeetle replica per node, so a node loss never takes quorum", () => {
            const tb = byName("tigerbeetle");
            assert.strictEqual(hostSpread(tb)?.whenUnsatisfiable, "DoNotSchedule");
            const anti = podSpec(tb).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            assert.deepStrictEqual(anti.map((t: any) => t.topologyKey), ["kubernetes.io/hostname"]);
            assert.deepStrictEqual(anti[0].labelSelector.matchLabels, tb.props.spec.selector.matchLabels);
        });

        it("spreads the connector, agent runtime and business logic replicas across nodes", () => {
            for (const name of ["connector", "agent-runtime", "business-logic"]) {
                const spread = hostSpread(byName(name));
                assert.ok(spread, `${name} has a hostname spread`);
                assert.deepStrictEqual(spread.labelSelector.matchLabels, byName(name).props.spec.selector.matchLabels, name);
            }
        });

        it("ranks every platform pod above the tenants' autoscaled pods", () => {
            const priorityClasses = prod().resources.filter((r) => r.type === "kubernetes:scheduling.k8s.io/v1:PriorityClass");
            const classes = Object.fromEntries(priorityClasses.map((c) => [c.props.metadata.name, c.props]));
            assert.ok(classes["m2m-platform"].value > classes["m2m-tenant"].value);
            assert.strictEqual(classes["m2m-tenant"].preemptionPolicy, "Never");
            for (const w of workloads(prod())) {
                const tenant = w.props.metadata.name === "agent" || w.props.metadata.name === "brain";
                assert.strictEqual(podSpec(w).priorityClassName, tenant ? "m2m-tenant" : "m2m-platform", label(w));
            }
        });

        it("lets drains evict unready pods, except TigerBeetle's, whose budget guards quorum", () => {
            for (const pdb of ofKind(prod(), "PodDisruptionBudget")) {
                const expected = pdb.props.metadata.name === "tigerbeetle" ? "IfHealthyBudget" : "AlwaysAllow";
                assert.strictEqual(pdb.props.spec.unhealthyPodEvictionPolicy, expected, label(pdb));
            }
        });

        it("pulls from the credentialed registry with a pull Secret in each namespace, the password a secret", () => {
            for (const w of workloads(prod())) {
                const ns = w.props.metadata.namespace;
                const names = (podSpec(w).imagePullSecrets ?? []).map((s: any) => s.name);
                assert.deepStrictEqual(names, ["registry-pull"], label(w));
                const pull = ofKind(prod(), "Secret").find((s) => s.props.metadata.name === "registry-pull" && s.props.metadata.namespace === ns);
                assert.strictEqual(pull?.props.type, "kubernetes.io/dockerconfigjson", `registry-pull in ${ns}`);
                const auth = JSON.parse(pull!.props.stringData[".dockerconfigjson"]).auths["registry.example.com"];
                assert.deepStrictEqual([auth.username, auth.password], ["m2m-ci", PROD_SECRETS.registryPassword]);
                assert.ok(pull!.secretPaths.some((p) => p.startsWith("stringData")), "the config is a secret input");
            }
            assert.ok(workloads(stacks.dev).every((w) => !podSpec(w).imagePullSecrets), "dev's registry needs no credentials");
        });

        it("rolls exactly the pods that read a changed credential, with a checksum that reveals nothing", async () => {
            const templates = (s: CapturedStack) => Object.fromEntries(workloads(s).map((w) => [label(w), JSON.stringify(w.props.spec.template)]));
            const changedBy = async (secrets: Record<string, string>, overrides: Record<string, unknown> = {}) => {
                const after = templates(await captureStack("prod", overrides, { secrets: { ...PROD_SECRETS, ...secrets } }));
                const before = templates(prod());
                return Object.keys(before).filter((k) => before[k] !== after[k]);
            };
            assert.deepStrictEqual(await changedBy({ connectorEvmPrivateKey: `0x${"cd".repeat(32)}` }), ["Deployment m2m-connector/connector"]);
            const external = { businessLogic: { image: { context: "../my-agent", tag: "v1.0.0" }, database: { mode: "external" } } };
            const url = (u: string) => ({ businessLogicDatabaseUrl: u });
            const a = templates(await captureStack("prod", external, { secrets: { ...PROD_SECRETS, ...url("postgres://a@db.internal/app") } }));
            const b = templates(await captureStack("prod", external, { secrets: { ...PROD_SECRETS, ...url("postgres://b@db.internal/app") } }));
            assert.deepStrictEqual(Object.keys(a).filter((k) => a[k] !== b[k]), ["Deployment my-agent/business-logic"]);
            const annotation = byName("connector").props.spec.template.metadata.annotations["checksum/secrets"];
            const plain = createHash("sha256").update(JSON.stringify([{ evmPrivateKey: PROD_SECRETS.connectorEvmPrivateKey }])).digest("hex");
            assert.match(annotation, /^[0-9a-f]{64}$/);
            assert.notStrictEqual(annotation, plain, "not a bare hash of the values");
            assert.ok(!Object.values(PROD_SECRETS).some((v) => annotation.includes(v.slice(2, 18))));
        });

        it("governs every StatefulSet by a headless Service in its namespace", () => {
            for (const sts of ofKind(prod(), "StatefulSet")) {
                const svc = ofKind(prod(), "Service").find(
                    (s) => s.props.metadata.name === sts.props.spec.serviceName && s.props.metadata.namespace === sts.props.metadata.namespace,
                );
                assert.ok(svc, `${label(sts)} names Service ${sts.props.spec.serviceName}`);
                assert.strictEqual(svc.props.spec.clusterIP, "None", `${label(svc)} is headless`);
            }
        });

        it("bounds every emptyDir, and keeps the PostgreSQL password out of the environment", () => {
            for (const w of workloads(prod())) {
                for (const v of podSpec(w).volumes ?? []) {
                    if (v.emptyDir) {
                        assert.ok(v.emptyDir.sizeLimit, `${label(w)} volume ${v.name}`);
                    }
                }
            }
            const pg = podSpec(byName("postgres")).containers[0];
            assert.ok(!pg.env.some((e: any) => e.name === "POSTGRES_PASSWORD"), "no POSTGRES_PASSWORD env");
            const file = pg.env.find((e: any) => e.name === "POSTGRES_PASSWORD_FILE")?.value;
            const mount = pg.volumeMounts.find((m: any) => file?.startsWith(`${m.mountPath}/`));
            assert.ok(mount?.readOnly, `POSTGRES_PASSWORD_FILE ${file} is on a read-only mount`);
        });

        it("never makes liveness the same check as readiness", () => {
            for (const w of workloads(prod())) {
                for (const c of podSpec(w).containers) {
                    if (c.livenessProbe && c.readinessProbe && !c.readinessProbe.tcpSocket) {
                        assert.notDeepStrictEqual(c.livenessProbe.httpGet ?? c.livenessProbe.tcpSocket, c.readinessProbe.httpGet, `${label(w)}/${c.name}`);
                    }
                }
            }
        });
    });
});
