// The ILP connector's key and its three settlement credentials.
import { fig, image, logLevel, resources } from "./kinds";
import { Context, bool, declare, group, int, num, oneOf, secret, section, str } from "./schema";
import { externalSource, readCredential } from "./secrets";
import { ConnectorConfig, ConnectorSecrets } from "./types";

export const CONNECTOR = declare(
    "connector",
    "The ILP connector and its Explorer",
    group({
        replicas: int({ default: { dev: 1, prod: 2 }, min: 1, max: 20 }),
        image: image({ repo: "m2m-connector" }),
        nodeId: str({ default: "agent-connector" }),
        logLevel: logLevel(),
        settlement: group(
            {
                enabled: bool({ default: true }),
                preference: oneOf({ values: ["evm", "xrp", "aptos"], default: "evm" }),
                threshold: int({ default: 1000000, min: 0 }),
                feePercentage: num({ default: 0.1, min: 0, max: 100 }),
            },
            { inline: true },
        ),
        explorer: group(
            {
                enabled: bool({ default: true }),
                retentionDays: int({ default: 7, min: 1 }),
                maxEvents: int({ default: 1000000, min: 1 }),
            },
            { inline: true },
        ),
        localDeliveryTimeoutMs: int({ default: 30000, min: 1 }),
        resources: resources({ dev: fig("250m", "512Mi", "1000m", "1Gi"), prod: fig("500m", "1Gi", "2000m", "2Gi") }),
    }),
);

const credential = (prod: string) => secret({ unset: `dev: ${prod}; required in prod` });

export const CONNECTOR_EVM_PRIVATE_KEY = declare("connectorEvmPrivateKey", "EVM_PRIVATE_KEY for settlement", credential("a generated throwaway key"));
export const CONNECTOR_M2M_TOKEN_ADDRESS = declare("connectorM2mTokenAddress", "M2M_TOKEN_ADDRESS", credential("the zero address"));
export const CONNECTOR_TOKEN_NETWORK_REGISTRY = declare("connectorTokenNetworkRegistry", "TOKEN_NETWORK_REGISTRY", credential("the zero address"));

export const CONNECTOR_KEYS = [CONNECTOR, CONNECTOR_EVM_PRIVATE_KEY, CONNECTOR_M2M_TOKEN_ADDRESS, CONNECTOR_TOKEN_NETWORK_REGISTRY];

export function readConnector(ctx: Context, namespace: string): ConnectorConfig {
    const s = section(ctx, CONNECTOR);
    const settlement = s.section("settlement");
    const explorer = s.section("explorer");
    return {
        namespace,
        replicas: s.read("replicas"),
        image: s.read("image"),
        nodeId: s.read("nodeId"),
        logLevel: s.read("logLevel"),
        settlement: {
            enabled: settlement.read("enabled"),
            preference: settlement.read("preference"),
            threshold: settlement.read("threshold"),
            feePercentage: settlement.read("feePercentage"),
        },
        explorer: { enabled: explorer.read("enabled"), retentionDays: explorer.read("retentionDays"), maxEvents: explorer.read("maxEvents") },
        localDeliveryTimeoutMs: s.read("localDeliveryTimeoutMs"),
        secrets: readConnectorSecrets(ctx),
        resources: s.read("resources"),
    };
}

/**
 * The three settlement credentials. With the pulumi source all or none: dev generates a
 * throwaway set only when none is given, so a key the user set is never silently replaced
 * by a generated one. With the external source each must be mapped to a remote key (there
 * is no throwaway set: the store holds what the connector runs with).
 */
function readConnectorSecrets(ctx: Context): ConnectorSecrets | undefined {
    const { r, prod } = ctx;
    const decls = [CONNECTOR_EVM_PRIVATE_KEY, CONNECTOR_M2M_TOKEN_ADDRESS, CONNECTOR_TOKEN_NETWORK_REGISTRY] as const;
    if (externalSource(ctx)) {
        const need = "the connector reads it from the connector-secrets Secret";
        const [evmPrivateKey, m2mTokenAddress, tokenNetworkRegistry] = decls.map((d) => readCredential(ctx, d, need));
        return evmPrivateKey && m2mTokenAddress && tokenNetworkRegistry ? { evmPrivateKey, m2mTokenAddress, tokenNetworkRegistry } : undefined;
    }
    const [evmPrivateKey, m2mTokenAddress, tokenNetworkRegistry] = decls.map((d) => readCredential(ctx, d, undefined));
    if (evmPrivateKey && m2mTokenAddress && tokenNetworkRegistry) {
        return { evmPrivateKey, m2mTokenAddress, tokenNetworkRegistry };
    }
    const givenSecrets = [
        [CONNECTOR_EVM_PRIVATE_KEY.key, evmPrivateKey],
        [CONNECTOR_M2M_TOKEN_ADDRESS.key, m2mTokenAddress],
        [CONNECTOR_TOKEN_NETWORK_REGISTRY.key, tokenNetworkRegistry],
    ] as const;
    const given = givenSecrets.filter(([, value]) => value !== undefined).map(([key]) => key);
    for (const [key, value] of givenSecrets) {
        if (!value && (prod || given.length > 0)) {
            const why = prod ? "is required in prod (the connector's settlement credentials)" : `is missing while ${given.join(" and ")} ${given.length === 1 ? "is" : "are"} set: the three connector credentials go together`;
            r.fail(key, why, `run \`pulumi config set --secret ${key} <value>\`${prod ? ", or take the credentials from a vault (secrets.source externalSecrets)" : ", or remove the others to use a generated throwaway set"}`);
        }
    }
    return undefined;
}
