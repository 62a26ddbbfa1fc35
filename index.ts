// The M2M agent platform on Kubernetes. Config is validated before any resource is
// registered (config/). A platform stack composes the tiers (platform.ts); a tenant stack
// (`stackKind: tenant`) holds one agency tenant of a platform stack (tenant.ts).
import * as pulumi from "@pulumi/pulumi";
import { loadStack } from "./config";
import { platform } from "./platform";
import { tenantStack } from "./tenant";

/** The outputs its config calls for: one left undefined is not exported (the engine would warn of each). */
function exported<T extends object>(outputs: T): Partial<T> {
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const stack = loadStack();

/**
 * A platform stack's outputs (README, Outputs): the endpoints, the CAP key ids in clear and
 * their values only as secrets, what its tenant stacks read (`tenantPlatform`) and, with
 * backups, the ledger's snapshot record. A tenant stack's, once its platform stack has been
 * read and checked: its tenant's endpoints and namespace.
 */
const outputs: Record<string, unknown> | Promise<{ agencyEndpoints: pulumi.Output<unknown>; tenantNamespace: pulumi.Output<string> }> =
    stack.kind === "platform"
        ? exported(platform(stack.config))
        : tenantStack(stack.config).then((t) => ({ agencyEndpoints: t.agencyEndpoints, tenantNamespace: t.namespace }));

export = outputs;
