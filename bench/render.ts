// Renders the Kubernetes objects a stack deploys, as the program registers them (captured
// under the harness's mocks, the way the cluster suite renders them), for the kubectl floor:
//   ts-node bench/render.ts <stack> <tenants> <out-dir>
// writes <out-dir>/objects.yaml (namespaces first), <out-dir>/workloads.yaml (the Deployments
// and StatefulSets, for `kubectl rollout status -f`) and prints a JSON summary: object
// counts, the namespaces, the cluster-scoped objects and how many claims the StatefulSets make.
import * as fs from "fs";
import * as path from "path";
import { captureStack } from "../test/harness";
import { Manifest, manifests, toYaml } from "../test/cluster/render";
import { tenantNames } from "./tenants";

export interface Rendered {
    objects: number;
    kinds: Record<string, number>;
    namespaces: string[];
    /** `kind/name` of the objects without a namespace (Namespaces excepted). */
    clusterScoped: string[];
    workloads: number;
    claims: number;
}

async function main() {
    const [stack, tenants, out] = process.argv.slice(2);
    const objects = manifests(await captureStack(stack, { agency: { tenants: tenantNames(Number(tenants)) } }));
    const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "objects.yaml"), toYaml(objects));
    fs.writeFileSync(path.join(out, "workloads.yaml"), toYaml(workloads));
    const kinds: Record<string, number> = {};
    for (const o of objects) {
        kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
    }
    const spec = (o: Manifest) => (o.spec ?? {}) as { replicas?: number; volumeClaimTemplates?: unknown[] };
    const summary: Rendered = {
        objects: objects.length,
        kinds,
        namespaces: objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
        clusterScoped: objects.filter((o) => o.kind !== "Namespace" && !o.metadata.namespace).map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`),
        workloads: workloads.length,
        claims: objects.filter((o) => o.kind === "StatefulSet").reduce((n, o) => n + (spec(o).replicas ?? 1) * (spec(o).volumeClaimTemplates?.length ?? 0), 0),
    };
    console.log(JSON.stringify(summary));
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : err);
            process.exit(1);
        },
    );
}
