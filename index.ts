// The M2M agent platform on Kubernetes. Config is validated before any resource is
// registered (config/); the tiers are composed in platform.ts.
import { loadConfig } from "./config";
import { platform } from "./platform";

const outputs = platform(loadConfig());

/** SPSP: the `/.well-known/pay` URL and the payment pointer that resolves to it. */
export const spspEndpoint = outputs.spspEndpoint;
export const explorerUrl = outputs.explorerUrl;
export const btpUrl = outputs.btpUrl;
export const agentStateUrl = outputs.agentStateUrl;
export const tigerBeetleAddresses = outputs.tigerBeetleAddresses;
export const tigerBeetleClusterId = outputs.tigerBeetleClusterId;
/** CAP key ids in clear; the key values are exported only as secrets. */
export const capKeyIds = outputs.capKeyIds;
export const capKeys = outputs.capKeys;
export const agencyEndpoints = outputs.agencyEndpoints;
