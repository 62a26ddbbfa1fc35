import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ImageSpec, RegistryConfig } from "../config";

export interface ContainerImageArgs {
    /** A prebuilt reference, or a context + Dockerfile to build and push. */
    spec: ImageSpec;
    /** Where built images are pushed; credentials come from secret config. */
    registry?: RegistryConfig;
}

/**
 * The image a tier runs. A build is pushed to the registry and the tier receives the
 * pushed reference pinned by digest (`repo@sha256:…`), so a rebuild that changes the
 * image rolls exactly the workloads that use it; a prebuilt reference passes through.
 */
export class ContainerImage extends pulumi.ComponentResource {
    /** The reference pods run: the digest-pinned push for builds, else the given reference. */
    public readonly ref: pulumi.Output<string>;
    /** Whether this image is built by the stack (false for prebuilt references). */
    public readonly built: boolean;

    constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("m2m:platform:ContainerImage", name, {}, opts);
        const spec = args.spec;
        this.built = spec.kind === "build";
        if (spec.kind === "prebuilt") {
            this.ref = pulumi.output(spec.ref);
        } else {
            const image = new docker.Image(
                name,
                {
                    imageName: `${spec.repository}:${spec.tag}`,
                    build: {
                        context: spec.context,
                        // The stack file names the Dockerfile inside the context (as `docker build`
                        // does); the provider resolves a relative path from the program directory.
                        dockerfile: path.join(spec.context, spec.dockerfile ?? "Dockerfile"),
                        target: spec.target,
                        args: spec.args,
                        platform: "linux/amd64",
                    },
                    registry: args.registry ? pushRegistry(args.registry) : undefined,
                },
                { parent: this },
            );
            this.ref = image.repoDigest;
        }
        this.registerOutputs({ ref: this.ref });
    }
}

/**
 * The push credentials: the password from Pulumi secret config, with its username. A
 * password in the external store never reaches the program, so then the push goes with the
 * deploying machine's own docker credentials (`docker login <server>`), the server alone.
 */
function pushRegistry(registry: RegistryConfig): docker.types.input.Registry {
    const password = registry.password;
    if (password?.source === "pulumi") {
        return { server: registry.server, username: registry.username, password: password.value };
    }
    return password === undefined ? { server: registry.server, username: registry.username } : { server: registry.server };
}
