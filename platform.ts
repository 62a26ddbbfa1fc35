// Composes the tiers in dependency order and gathers the stack's outputs. index.ts calls
// this with the validated config; the tests call it with configs of their own.
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config";
import { AgencyTenant } from "./components/agency";
import { AgentRuntime } from "./components/agentRuntime";
import { AGENTSTATE_API_PORT, AgentState } from "./components/agentState";
import { BusinessLogic } from "./components/businessLogic";
import { Connector } from "./components/connector";
import { IngressSettings } from "./components/kube";
import { TigerBeetleCluster } from "./components/tigerbeetle";

export interface PlatformOutputs {
    spspEndpoint: pulumi.Output<{ url: string; paymentPointer: string }>;
    explorerUrl: pulumi.Output<string>;
    btpUrl: pulumi.Output<string>;
    agentStateUrl: pulumi.Output<string>;
    tigerBeetleAddresses: pulumi.Output<string[]>;
    tigerBeetleClusterId: pulumi.Output<string>;
    capKeyIds: { active: string; next: string };
    capKeys: pulumi.Output<{ active: string; next: string }>;
    agencyEndpoints: pulumi.Output<Record<string, { agent: string; healthMonitor: string; brain: string }>>;
}

export function platform(cfg: PlatformConfig): PlatformOutputs {
    const prod = cfg.environment === "prod";
    const ingress: IngressSettings | undefined = cfg.ingress
        ? { className: cfg.ingress.className, controllerNamespace: cfg.ingress.controllerNamespace, tls: cfg.ingress.tls }
        : undefined;
    const common = { registry: cfg.registry, storageClass: cfg.storageClass };
    const tenantNamespaces = cfg.agency.tenants.map((t) => `${cfg.agency.namespacePrefix}${t}`);

    const tigerbeetle = new TigerBeetleCluster("tigerbeetle", {
        ...cfg.tigerbeetle,
        ...common,
        clientNamespaces: [cfg.connector.namespace],
        protect: prod,
    });

    const businessLogic = new BusinessLogic("business-logic", {
        ...cfg.businessLogic,
        ...common,
        callerNamespaces: [cfg.agentRuntime.namespace],
        protect: prod,
    });

    const agentRuntime = new AgentRuntime("agent-runtime", {
        ...cfg.agentRuntime,
        registry: cfg.registry,
        businessLogic: { url: businessLogic.url, namespace: businessLogic.namespace, port: businessLogic.port },
        callerNamespaces: [cfg.connector.namespace],
        ingress: ingress && cfg.ingress ? { settings: ingress, spspHost: cfg.ingress.hosts.spsp } : undefined,
    });

    const connector = new Connector("connector", {
        ...cfg.connector,
        registry: cfg.registry,
        environment: cfg.environment,
        tigerbeetle: { clusterId: tigerbeetle.clusterId, addresses: tigerbeetle.addresses, namespace: tigerbeetle.namespace },
        localDelivery: { url: agentRuntime.url, namespace: agentRuntime.namespace },
        routePrefix: cfg.agentRuntime.baseAddress,
        monitoringNamespace: cfg.monitoringNamespace,
        ingress:
            ingress && cfg.ingress
                ? { settings: ingress, btpHost: cfg.ingress.hosts.btp, explorerHost: cfg.ingress.hosts.explorer }
                : undefined,
    });

    const agentState = new AgentState("agentstate", {
        ...cfg.agentState,
        ...common,
        environment: cfg.environment,
        monitoringNamespace: cfg.monitoringNamespace,
        clientNamespaces: [cfg.agentRuntime.namespace, ...tenantNamespaces],
        ingress: ingress && cfg.ingress ? { settings: ingress, host: cfg.ingress.hosts.agentState } : undefined,
        protect: prod,
    });

    const tenants = cfg.agency.tenants.map(
        (tenant, i) =>
            [
                tenant,
                new AgencyTenant(`agency-${tenant}`, {
                    ...cfg.agency,
                    ...common,
                    tenant,
                    namespace: tenantNamespaces[i],
                    monitoringNamespace: cfg.monitoringNamespace,
                    agentState: { namespace: agentState.namespace, port: AGENTSTATE_API_PORT },
                }),
            ] as const,
    );

    return {
        spspEndpoint: pulumi.all([agentRuntime.spspUrl, agentRuntime.paymentPointer]).apply(([url, paymentPointer]) => ({ url, paymentPointer })),
        explorerUrl: connector.explorerUrl,
        btpUrl: connector.btpUrl,
        agentStateUrl: agentState.url,
        tigerBeetleAddresses: tigerbeetle.addresses,
        tigerBeetleClusterId: tigerbeetle.clusterId,
        capKeyIds: agentState.capKeyIds,
        capKeys: agentState.capKeys,
        agencyEndpoints: pulumi
            .all(tenants.map(([, t]) => t.endpoints))
            .apply((eps) => Object.fromEntries(eps.map((ep, i) => [tenants[i][0], ep]))),
    };
}
