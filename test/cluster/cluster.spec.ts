// The program's objects on a real Kubernetes API server with real controllers and kwok
// nodes (scripts/local-cluster.sh): every object is accepted, workloads roll out, claims
// bind, Services get endpoints, and Pod Security admits every pod.
import * as assert from "assert";
import * as path from "path";
import { CapturedStack, StackOptions, captureStack, vaultSecrets } from "../harness";
import { eventually, getJson, kubectl } from "./kubectl";
import { Manifest, manifests, toYaml } from "./render";

/** [what the describe calls it, stack, overrides, options]. */
const STACKS: [string, string, Record<string, unknown>, StackOptions][] = [
    ["dev", "dev", {}, {}],
    // Stacks share the cluster through a namespace prefix; kwok's default StorageClass
    // stands in for prod's.
    ["prod", "prod", { namespacePrefix: "prod-", storageClass: undefined }, {}],
    // No ESO runs here: the API server accepts the ExternalSecrets; their Secrets stay unmade.
    ["prod with credentials from a vault", "prod", { namespacePrefix: "vault-", storageClass: undefined, secrets: vaultSecrets() }, { secrets: {} }],
];

function podIp(ns: string, pod: string): string {
    return getJson(["get", "pod", pod, "-n", ns]).status.podIP;
}

/** Replica `pod`'s own Service: its ClusterIP and the pod IPs its EndpointSlices point at. */
function replicaAddress(ns: string, pod: string): { clusterIP: string; endpoints: string[] } {
    const name = `tigerbeetle-replica-${pod.split("-").pop()}`;
    const svc = getJson(["get", "service", name, "-n", ns]);
    const slices = getJson(["get", "endpointslices", "-n", ns, "-l", `kubernetes.io/service-name=${name}`]).items;
    return { clusterIP: svc.spec.clusterIP, endpoints: slices.flatMap((s: any) => (s.endpoints ?? []).flatMap((e: any) => e.addresses)).sort() };
}

describe("on a real Kubernetes API server", function () {
    this.timeout(900000);

    before(function () {
        if (!process.env.KUBECONFIG) {
            throw new Error(
                "KUBECONFIG is not set. Build and start the local cluster first:\n" +
                    "  scripts/cluster-toolchain.sh all && eval \"$(scripts/local-cluster.sh up)\"\n" +
                    "(or point KUBECONFIG at a disposable cluster of your own)",
            );
        }
        const version = getJson(["version"]);
        assert.ok(version.serverVersion?.gitVersion, `no server answered at KUBECONFIG=${process.env.KUBECONFIG}`);
        kubectl(["apply", "--server-side", "-f", path.join(__dirname, "certificate-crd.yaml"), "-f", path.join(__dirname, "prometheusrule-crd.yaml"), "-f", path.join(__dirname, "backup-crds.yaml"), "-f", path.join(__dirname, "externalsecret-crd.yaml")]);
        kubectl(["wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io", "crd/prometheusrules.monitoring.coreos.com", "crd/schedules.velero.io", "crd/volumesnapshots.snapshot.storage.k8s.io", "crd/externalsecrets.external-secrets.io", "--timeout=60s"]);
        // Velero's namespace, where prod's Schedules live (Velero itself does not run here).
        kubectl(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: velero\n");
    });

    for (const [title, stack, overrides, opts] of STACKS) {
        describe(`the ${title} stack`, () => {
            let captured: CapturedStack;
            let objects: Manifest[];
            let namespaces: string[];
            const workloads = () => objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
            const ledger = `${(overrides.namespacePrefix as string | undefined) ?? ""}tigerbeetle`;
            const replicas = () => captured.config.tigerbeetle.replicas;

            before(async () => {
                captured = await captureStack(stack, overrides, opts);
                objects = manifests(captured);
                namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
            });

            after(() => {
                if (namespaces?.length && !process.env.KEEP_NAMESPACES) {
                    kubectl(["delete", "namespace", ...namespaces, "--wait=false", "--ignore-not-found"]);
                }
            });

            it("is accepted by the API server, every object of it", () => {
                const out = kubectl(["apply", "--server-side", "--field-manager=m2m-platform", "-f", "-"], toYaml(objects));
                const applied = out.trim().split("\n").filter((l) => / serverside-applied$| unchanged$/.test(l));
                assert.strictEqual(applied.length, objects.length, out);
            });

            it("rolls out every Deployment and StatefulSet", () => {
                for (const w of workloads()) {
                    kubectl(["rollout", "status", `${w.kind.toLowerCase()}/${w.metadata.name}`, "-n", w.metadata.namespace!, "--timeout=180s"]);
                }
                for (const w of workloads()) {
                    const live = getJson(["get", w.kind.toLowerCase(), w.metadata.name, "-n", w.metadata.namespace!]);
                    assert.strictEqual(live.status.readyReplicas, live.spec.replicas, `${w.kind} ${w.metadata.namespace}/${w.metadata.name}`);
                }
            });

            it("binds a persistent volume to every claim", async () => {
                await eventually("claims still pending", () => {
                    const pending = namespaces.flatMap((ns) =>
                        getJson(["get", "pvc", "-n", ns]).items.filter((c: any) => c.status.phase !== "Bound").map((c: any) => `${ns}/${c.metadata.name}`),
                    );
                    return pending.length ? pending.join(", ") : undefined;
                });
                const tb = getJson(["get", "pvc", "-n", ledger]).items;
                assert.strictEqual(tb.length, replicas(), "one claim per TigerBeetle replica");
            });

            it("gives every Service ready endpoints", async () => {
                const services = objects.filter((o) => o.kind === "Service");
                await eventually("Services without ready endpoints", () => {
                    const empty = services.filter((s) => {
                        const slices = getJson(["get", "endpointslices", "-n", s.metadata.namespace!, "-l", `kubernetes.io/service-name=${s.metadata.name}`]).items;
                        return !slices.some((sl: any) => (sl.endpoints ?? []).some((e: any) => e.conditions?.ready !== false));
                    });
                    return empty.length ? empty.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(", ") : undefined;
                });
            });

            it("has no pod refused by Pod Security admission", () => {
                for (const ns of namespaces) {
                    const refused = getJson(["get", "events", "-n", ns, "--field-selector", "reason=FailedCreate"]).items.map((e: any) => e.message);
                    assert.deepStrictEqual(refused, [], ns);
                }
            });

            it("publishes every TigerBeetle replica under the headless Service, and gives each a Service of its own", () => {
                const ns = ledger;
                const pods = getJson(["get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=tigerbeetle"]).items.map((p: any) => p.metadata.name).sort();
                const expected = (captured.outputs.tigerBeetleAddresses as string[]).map((_, i) => `tigerbeetle-${i}`);
                assert.deepStrictEqual(pods, expected);
                const slice = getJson(["get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=tigerbeetle-headless"]).items[0];
                const hostnames = slice.endpoints.map((e: any) => e.hostname).sort();
                assert.deepStrictEqual(hostnames, expected, "each replica publishes its hostname under tigerbeetle-headless");
                for (const pod of expected) {
                    assert.deepStrictEqual(replicaAddress(ns, pod).endpoints, [podIp(ns, pod)], `${pod}'s Service reaches ${pod} alone`);
                }
            });

            it("keeps a replica's address when its pod is rescheduled: the Service's ClusterIP stays, its endpoint follows the new pod", async () => {
                const ns = ledger;
                const pod = `tigerbeetle-${replicas() > 1 ? 1 : 0}`;
                const before = replicaAddress(ns, pod);
                const uid = getJson(["get", "pod", pod, "-n", ns]).metadata.uid;
                kubectl(["delete", "pod", pod, "-n", ns, "--wait=true"]);
                await eventually(`${pod} not back and Ready`, () => {
                    const live = getJson(["get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=tigerbeetle"]).items.find((p: any) => p.metadata.name === pod);
                    const ready = live?.metadata.uid !== uid && live?.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
                    return ready ? undefined : "waiting";
                });
                await eventually(`${pod}'s Service endpoint not on the new pod`, () => (replicaAddress(ns, pod).endpoints.join() === podIp(ns, pod) ? undefined : "waiting"));
                assert.strictEqual(replicaAddress(ns, pod).clusterIP, before.clusterIP, "the address the peers and the connector list did not move");
            });
        });
    }
});
