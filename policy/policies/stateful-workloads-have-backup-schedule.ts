import { StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, TYPES, UNKNOWN, UNKNOWN_TEXT, configOf, describe, get, isUnknown, list, message, ofType, stackWorkloads, str } from "../lib";

interface Config {
    requireBackups: boolean;
    exemptNamespaces: string[];
}

/** A string list's known members, or UNKNOWN when the list or a member is unknown. */
function names(value: unknown): Maybe<string[] | undefined> {
    if (value === undefined) {
        return undefined;
    }
    const l = list(value);
    if (isUnknown(l)) {
        return UNKNOWN;
    }
    const out: string[] = [];
    for (const v of l) {
        const s = str(v);
        if (isUnknown(s)) {
            return UNKNOWN;
        }
        if (typeof s === "string") {
            out.push(s);
        }
    }
    return out;
}

/**
 * Whether a Velero Schedule backs up the claims of namespace `ns`: it includes the namespace
 * (by name or `*`), does not exclude it, takes volume snapshots (`snapshotVolumes` not
 * false), and, when it lists resources, lists persistentvolumeclaims. UNKNOWN when an
 * unknown field leaves it open.
 */
function backsUp(schedule: unknown, ns: string): Maybe<boolean> {
    const template = get(schedule, "spec", "template");
    const included = names(get(template, "includedNamespaces"));
    const excluded = names(get(template, "excludedNamespaces"));
    const resources = names(get(template, "includedResources"));
    const snapshots = get(template, "snapshotVolumes");
    if (isUnknown(template) || isUnknown(included) || isUnknown(excluded) || isUnknown(resources) || isUnknown(snapshots) || isUnknown(get(schedule, "spec", "schedule"))) {
        return UNKNOWN;
    }
    const namespaces = included ?? ["*"];
    if (!(namespaces.includes(ns) || namespaces.includes("*")) || (excluded ?? []).includes(ns)) {
        return false;
    }
    if (snapshots === false) {
        return false;
    }
    return resources === undefined || resources.includes("*") || resources.some((r) => r === "persistentvolumeclaims" || r === "pvc");
}

/**
 * Issue 13: every stateful workload is backed up on a schedule. A StatefulSet with claim
 * templates counts as covered by a Velero `Schedule` that backs up its namespace's claims
 * (backsUp); the platform makes one per namespace holding data (`backups.enabled`).
 */
export const statefulWorkloadsHaveBackupSchedule: StackValidationPolicy = {
    name: "stateful-workloads-have-backup-schedule",
    description: "Every StatefulSet with persistent claims is in a namespace a Velero Schedule backs up, volumes included.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireBackups: { type: "boolean", default: true, description: "Require backup schedules (dev.json sets false: the dev cluster runs no Velero)." },
            exemptNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Namespaces this policy does not check." },
        },
    },
    validateStack: (args, report) => {
        const { requireBackups, exemptNamespaces } = configOf<Config>(args, statefulWorkloadsHaveBackupSchedule.configSchema!);
        if (!requireBackups) {
            return args.notApplicable("backups are not required here (requireBackups: false)");
        }
        const item = CHECKLIST.backups;
        const stateful = stackWorkloads(args.resources).filter((w) => w.type === TYPES.statefulSet && hasClaims(w.props));
        const judged = stateful.filter((w) => isUnknown(w.ref.namespace) || !exemptNamespaces.includes(w.ref.namespace ?? "default"));
        if (judged.length === 0) {
            return args.notApplicable("the stack has no StatefulSet with persistent claims");
        }
        // During preview a Schedule counts only when it is known to back the namespace up: an
        // uncounted one errs towards reporting a gap, never towards hiding one, and is named.
        const schedules = ofType(args.resources, TYPES.veleroSchedule);
        for (const w of judged) {
            if (isUnknown(w.ref.namespace)) {
                report(message(w.ref, `its namespace is ${UNKNOWN_TEXT}, so no Schedule is known to back it up`, item, "give the StatefulSet a namespace known before apply"), w.urn);
                continue;
            }
            const ns = w.ref.namespace ?? "default";
            const verdicts = schedules.map((s) => backsUp(s.props, ns));
            if (verdicts.includes(true)) {
                continue;
            }
            const open = schedules.filter((_, i) => isUnknown(verdicts[i]));
            const note = open.length > 0 ? ` (${open.map((s) => describe(s.ref)).join(", ")} ${open.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT} in part and not counted)` : "";
            report(
                message(w.ref, `its claims (${claimNames(w.props).join(", ")}) are in namespace ${ns}, which no Velero Schedule backs up with its volumes${note}`, item, `add a Velero Schedule including ${ns} with snapshotVolumes (the platform makes one per namespace with backups.enabled: true)`),
                w.urn,
            );
        }
    },
};

function hasClaims(props: unknown): boolean {
    const claims = list(get(props, "spec", "volumeClaimTemplates"));
    return isUnknown(claims) || claims.length > 0;
}

function claimNames(props: unknown): string[] {
    const claims = list(get(props, "spec", "volumeClaimTemplates"));
    return isUnknown(claims) ? ["unknown"] : claims.map((c) => String(str(get(c, "metadata", "name")) ?? "?"));
}
