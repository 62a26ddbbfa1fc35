// Every policy of the pack, in checklist order. One policy per file, each file named after
// its policy; policy/index.ts wraps this list in the PolicyPack and the tests run it directly.
import { Policies } from "@pulumi/policy";
import { tigerbeetleReplicaQuorum } from "./tigerbeetle-replica-quorum";
import { tigerbeetlePvcPerReplica } from "./tigerbeetle-pvc-per-replica";
import { tigerbeetleClusterIdNonzero } from "./tigerbeetle-cluster-id-nonzero";
import { tigerbeetlePortNotExposed } from "./tigerbeetle-port-not-exposed";
import { tigerbeetleNoIngressRoute } from "./tigerbeetle-no-ingress-route";
import { tigerbeetleReplicasOnDistinctNodes } from "./tigerbeetle-replicas-on-distinct-nodes";
import { connectorListsEveryTigerbeetleReplica } from "./connector-lists-every-tigerbeetle-replica";
import { containersHaveResourceLimits } from "./containers-have-resource-limits";
import { containersHaveHealthProbes } from "./containers-have-health-probes";
import { probesLivenessDiffersFromReadiness } from "./probes-liveness-differs-from-readiness";
import { namespacesHaveNetworkPolicies } from "./namespaces-have-network-policies";
import { noSecretsInConfigmaps } from "./no-secrets-in-configmaps";
import { noSecretLiteralsInEnv } from "./no-secret-literals-in-env";
import { capKeysOnlyInSecrets } from "./cap-keys-only-in-secrets";
import { credentialsFromExternalStore } from "./credentials-from-external-store";
import { businessLogicHasHpa } from "./business-logic-has-hpa";
import { agencyTenantsHaveHpa } from "./agency-tenants-have-hpa";
import { autoscalerCustomMetricsAreExported } from "./autoscaler-custom-metrics-are-exported";
import { hpaMemoryTargetsAllowScaleDown } from "./hpa-memory-targets-allow-scale-down";
import { metricsEndpointsAreScraped } from "./metrics-endpoints-are-scraped";
import { namespacesHaveAlertRules } from "./namespaces-have-alert-rules";
import { statefulWorkloadsHaveBackupSchedule } from "./stateful-workloads-have-backup-schedule";
import { resourceRequestsWithinBounds } from "./resource-requests-within-bounds";
import { workloadsHaveDisruptionBudgets } from "./workloads-have-disruption-budgets";
import { tigerbeetlePdbPreservesQuorum } from "./tigerbeetle-pdb-preserves-quorum";
import { disruptionBudgetsLetDrainsEvictUnhealthyPods } from "./disruption-budgets-let-drains-evict-unhealthy-pods";
import { workloadsSpreadAcrossNodes } from "./workloads-spread-across-nodes";
import { podsHavePriorityClass } from "./pods-have-priority-class";
import { ingressOnlyPublicEndpoints } from "./ingress-only-public-endpoints";
import { ingressRequiresTls } from "./ingress-requires-tls";
import { servicesStayClusterInternal } from "./services-stay-cluster-internal";
import { statefulsetsHaveHeadlessGoverningService } from "./statefulsets-have-headless-governing-service";
import { podsRunAsNonRoot } from "./pods-run-as-non-root";
import { containersDisallowPrivilegeEscalation } from "./containers-disallow-privilege-escalation";
import { containersReadOnlyRootFilesystem } from "./containers-read-only-root-filesystem";
import { containersDropAllCapabilities } from "./containers-drop-all-capabilities";
import { containersNotPrivileged } from "./containers-not-privileged";
import { podsNoHostAccess } from "./pods-no-host-access";
import { podsUseDedicatedServiceAccount } from "./pods-use-dedicated-service-account";
import { serviceAccountsNoTokenAutomount } from "./service-accounts-no-token-automount";
import { imagesArePinned } from "./images-are-pinned";
import { podsUseRuntimeDefaultSeccomp } from "./pods-use-runtime-default-seccomp";
import { nothingInDefaultNamespace } from "./nothing-in-default-namespace";
import { agentstateServesTls } from "./agentstate-serves-tls";
import { agentstateDevModeDisabled } from "./agentstate-dev-mode-disabled";

export const policies: Policies = [
    tigerbeetleReplicaQuorum,
    tigerbeetlePvcPerReplica,
    tigerbeetleClusterIdNonzero,
    tigerbeetlePortNotExposed,
    tigerbeetleNoIngressRoute,
    tigerbeetleReplicasOnDistinctNodes,
    connectorListsEveryTigerbeetleReplica,
    containersHaveResourceLimits,
    containersHaveHealthProbes,
    probesLivenessDiffersFromReadiness,
    namespacesHaveNetworkPolicies,
    noSecretsInConfigmaps,
    noSecretLiteralsInEnv,
    capKeysOnlyInSecrets,
    credentialsFromExternalStore,
    businessLogicHasHpa,
    agencyTenantsHaveHpa,
    autoscalerCustomMetricsAreExported,
    hpaMemoryTargetsAllowScaleDown,
    metricsEndpointsAreScraped,
    namespacesHaveAlertRules,
    statefulWorkloadsHaveBackupSchedule,
    resourceRequestsWithinBounds,
    workloadsHaveDisruptionBudgets,
    tigerbeetlePdbPreservesQuorum,
    disruptionBudgetsLetDrainsEvictUnhealthyPods,
    workloadsSpreadAcrossNodes,
    podsHavePriorityClass,
    ingressOnlyPublicEndpoints,
    ingressRequiresTls,
    servicesStayClusterInternal,
    statefulsetsHaveHeadlessGoverningService,
    podsRunAsNonRoot,
    containersDisallowPrivilegeEscalation,
    containersReadOnlyRootFilesystem,
    containersDropAllCapabilities,
    containersNotPrivileged,
    podsNoHostAccess,
    podsUseDedicatedServiceAccount,
    serviceAccountsNoTokenAutomount,
    imagesArePinned,
    podsUseRuntimeDefaultSeccomp,
    nothingInDefaultNamespace,
    agentstateServesTls,
    agentstateDevModeDisabled,
];
