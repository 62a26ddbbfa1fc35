import * as pulumi from "@pulumi/pulumi";
import { ImageSpec, RegistryConfig } from "../config";
import { ContainerImage } from "./image";
import { FoundationArgs, Identity, NamespaceFoundation, imageTag, namespaceFoundation, recommendedLabels } from "./kube";

/** An image a parent component has already built or resolved: the tier runs it and makes no ContainerImage. */
export interface ExistingImage {
    kind: "existing";
    ref: pulumi.Input<string>;
}

export interface TierBaseArgs {
    namespace: string;
    /** Built or resolved here (`${name}-image`), unless it is an existing image. */
    image: ImageSpec | ExistingImage;
    registry?: RegistryConfig;
    /** `app.kubernetes.io/name` and `component` of the tier's workload. */
    appName: string;
    component: string;
    podSecurity?: FoundationArgs["podSecurity"];
    holdsData?: boolean;
}

export interface TierBase {
    image: { ref: pulumi.Input<string> };
    id: Identity;
    labels: Record<string, string>;
    foundation: NamespaceFoundation;
    /** The namespace name, resolving once the namespace exists. */
    ns: pulumi.Output<string>;
}

/**
 * What every tier starts with: its image, its identity and labels, and its namespace foundation.
 * The identity carries the image's version only when it is a prebuilt reference given here.
 */
export function tierBase(parent: pulumi.ComponentResource, name: string, args: TierBaseArgs): TierBase {
    const image = args.image.kind === "existing" ? { ref: args.image.ref } : new ContainerImage(`${name}-image`, { spec: args.image, registry: args.registry }, { parent });
    const id: Identity = {
        name: args.appName,
        instance: name,
        component: args.component,
        version: args.image.kind === "prebuilt" ? imageTag(args.image.ref) : undefined,
    };
    const foundation = namespaceFoundation(parent, name, {
        namespace: args.namespace,
        id,
        podSecurity: args.podSecurity,
        holdsData: args.holdsData,
        registry: args.registry,
    });
    return { image, id, labels: recommendedLabels(id), foundation, ns: foundation.name };
}
