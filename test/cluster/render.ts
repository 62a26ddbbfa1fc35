// Renders what the program registers (captured under mocks) as Kubernetes manifests, in
// an order a plain `kubectl apply` accepts: namespaces first.
import * as yaml from "js-yaml";
import { CapturedStack } from "../harness";

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

export function manifests(stack: CapturedStack): Manifest[] {
    const objects = stack.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => withoutAllocated(r.props as Manifest));
    const rank = (m: Manifest) => (m.kind === "Namespace" ? 0 : m.kind === "ServiceAccount" ? 1 : 2);
    return [...objects].sort((a, b) => rank(a) - rank(b));
}

export function toYaml(objects: Manifest[]): string {
    return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
}

/** The object as the program declares it: without the ClusterIP the mocks made up (the API server allocates it). */
function withoutAllocated(m: Manifest): Manifest {
    const spec = m.spec as { clusterIP?: string } | undefined;
    if (m.kind !== "Service" || spec?.clusterIP === undefined || spec.clusterIP === "None") {
        return m;
    }
    const { clusterIP: _allocated, ...rest } = spec;
    return { ...m, spec: rest };
}
