// The platform as index.ts registers it, with one change: the kubernetes provider's await
// for a Service (pulumi-kubernetes 4.25, pkg/await/service.go) returns only 10 s after the
// last change to the Service's Endpoints, whether or not any Pod backs it, and holds one of
// the engine's parallel slots meanwhile. `pulumi.com/skipAwait` on the Services drops that
// wait; the Deployments and StatefulSets are still awaited until their Pods are Ready.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../config";
import { platform } from "../../platform";

const SERVICE = "kubernetes:core/v1:Service";
const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" };

function annotate(metadata: unknown): unknown {
    const add = (m: Record<string, any> | undefined) => ({ ...m, annotations: { ...m?.annotations, ...SKIP_AWAIT } });
    return pulumi.Output.isInstance(metadata) ? metadata.apply((m) => add(m as Record<string, any>)) : add(metadata as Record<string, any> | undefined);
}

const outputs = platform(loadConfig(), {
    transformations: [(args) => (args.type === SERVICE ? { props: { ...args.props, metadata: annotate(args.props.metadata) }, opts: args.opts } : undefined)],
});

export = outputs;
