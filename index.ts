// The M2M agent platform on Kubernetes. Config is validated before any resource is
// registered (config/). A platform stack composes the tiers (platform.ts); a tenant stack
// (`stackKind: tenant`) holds one agency tenant of a platform stack (tenant.ts).
import { loadStack } from "./config";
import { platform } from "./platform";
import { tenantStack } from "./tenant";

const stack = loadStack();
const outputs = stack.kind === "platform" ? platform(stack.config) : undefined;
/** A tenant stack's outputs, once its platform stack has been read and checked. */
const tenant = stack.kind === "tenant" ? tenantStack(stack.config) : undefined;

/** SPSP: the `/.well-known/pay` URL and the payment pointer that resolves to it. */
export const spspEndpoint = outputs?.spspEndpoint;
export const explorerUrl = outputs?.explorerUrl;
export const btpUrl = outputs?.btpUrl;
export const agentStateUrl = outputs?.agentStateUrl;
export const tigerBeetleAddresses = outputs?.tigerBeetleAddresses;
export const tigerBeetleClusterId = outputs?.tigerBeetleClusterId;
/** CAP key ids in clear; the key values are exported only as secrets. */
export const capKeyIds = outputs?.capKeyIds;
export const capKeys = outputs?.capKeys;
/** Per tenant of this stack: in a tenant stack, its one tenant. */
export const agencyEndpoints = outputs ? outputs.agencyEndpoints : tenant?.then((t) => t.agencyEndpoints);
/** What the tenant stacks read from this platform stack (nothing secret in it). */
export const tenantPlatform = outputs?.tenantPlatform;
export const tenantRegistryPassword = outputs?.tenantRegistryPassword;
/** A tenant stack's namespace. */
export const tenantNamespace = tenant?.then((t) => t.namespace);
/** The ledger's pre-change snapshot sets (with `backups`): the next update reads this record back. */
export const tigerBeetleSnapshots = outputs?.tigerBeetleSnapshots;
