import { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { AntiAffinityTerm, CHECKLIST, Condition, HOSTNAME_KEY, Judgement, Maybe, SpreadConstraint, UNKNOWN, UNKNOWN_TEXT, Workload, antiAffinityTerms, is, isTigerBeetle, isUnknown, judge, message, quorum, shown, spreadConstraints, validateWorkloads } from "../lib";

/** A topologyKey condition: only kubernetes.io/hostname makes each node its own domain. */
function onHostname(at: string, key: unknown): Condition {
    return { holds: is(key, HOSTNAME_KEY), fails: `its topologyKey is ${shown(key ?? "unset")}`, field: `${at}.topologyKey` };
}

const item = CHECKLIST.tigerbeetle;

/** A placement judged on what is known of it; `hostname` whether it is on kubernetes.io/hostname. */
interface Judged {
    at: string;
    hostname: Maybe<boolean>;
    j: Judgement;
}

/** A labelSelector condition: it must select the TigerBeetle pods. */
function selectsOwn(at: string, holds: Maybe<boolean>): Condition {
    return { holds, fails: "its labelSelector does not select the TigerBeetle pods", field: `${at}.labelSelector` };
}

/** A required podAntiAffinity term judged: on the hostname, selecting the replicas, in their namespace. */
function judgeTerm(t: AntiAffinityTerm): Judged {
    const key = onHostname(t.at, t.topologyKey);
    return {
        at: t.at,
        hostname: key.holds,
        j: judge([key, selectsOwn(t.at, t.selectsOwnPods), { holds: t.ownNamespace, fails: "it looks for the replicas in other namespaces", field: `${t.at}.namespaces/namespaceSelector` }]),
    };
}

/** A spread's minDomains condition: at least the `n` replicas (not known when `n` is not). */
function minDomainsCondition(c: SpreadConstraint, n: Maybe<number>): Condition {
    if (isUnknown(n)) {
        return { holds: UNKNOWN, fails: "", field: "spec.replicas" };
    }
    return {
        holds: isUnknown(c.minDomains) ? UNKNOWN : c.minDomains !== undefined && c.minDomains >= n,
        fails:
            c.minDomains === undefined
                ? `it sets no minDomains, so on fewer schedulable nodes than ${n} it still puts two replicas on one node`
                : `its minDomains ${shown(c.minDomains)} is below the ${n} replicas`,
        field: `${c.at}.minDomains`,
    };
}

/** A topology spread judged: on the hostname, DoNotSchedule, maxSkew 1, selecting the replicas, minDomains ≥ `n`. */
function judgeSpread(c: SpreadConstraint, n: Maybe<number>): Judged {
    const key = onHostname(c.at, c.topologyKey);
    return {
        at: c.at,
        hostname: key.holds,
        j: judge([
            key,
            { holds: is(c.whenUnsatisfiable, "DoNotSchedule"), fails: `it is whenUnsatisfiable ${shown(c.whenUnsatisfiable ?? "unset")}, a preference the scheduler drops when nodes run short`, field: `${c.at}.whenUnsatisfiable` },
            { holds: is(c.maxSkew, 1), fails: `its maxSkew is ${shown(c.maxSkew ?? "unset")}`, field: `${c.at}.maxSkew` },
            selectsOwn(c.at, c.selectsOwnPods),
            minDomainsCondition(c, n),
        ]),
    };
}

/**
 * Every podAntiAffinity term and spread constraint, judged on what is known of it; and the
 * lists unknown during preview. A field unknown during preview (a key, a selector, a skew, or
 * a whole list) is not known to keep the replicas apart: it counts only when the known ones
 * do not already decide, and then the StatefulSet is reported as not known to separate them.
 */
function placements(required: Maybe<AntiAffinityTerm[]>, spreads: Maybe<SpreadConstraint[]>, n: Maybe<number>): { judged: Judged[]; unknownLists: string[] } {
    const judged: Judged[] = [];
    const unknownLists: string[] = [];
    if (isUnknown(required)) {
        unknownLists.push("podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    } else {
        judged.push(...required.map(judgeTerm));
    }
    if (isUnknown(spreads)) {
        unknownLists.push("topologySpreadConstraints");
    } else {
        judged.push(...spreads.map((c) => judgeSpread(c, n)));
    }
    return { judged, unknownLists };
}

/**
 * Reports a StatefulSet of `n` replicas none of whose placements is known to keep two of them
 * off one node: what is unknown when something is, else why each near miss does not.
 */
function reportUnseparated(w: Workload, n: Maybe<number>, { judged, unknownLists }: { judged: Judged[]; unknownLists: string[] }, preferredTerms: Maybe<AntiAffinityTerm[]>, report: ReportViolation): void {
    const count = isUnknown(n) ? `a replica count ${UNKNOWN_TEXT}` : `${n} replicas`;
    const lose = isUnknown(n) ? "its quorum" : `its quorum of ${quorum(n)}`;
    const fix = `add a required podAntiAffinity term on ${HOSTNAME_KEY} whose labelSelector selects the TigerBeetle pods (or a ${HOSTNAME_KEY} topologySpreadConstraint with whenUnsatisfiable: DoNotSchedule, maxSkew: 1 and minDomains: ${shown(n)})`;
    // Near misses on the hostname (or maybe on it): why each does not keep replicas apart.
    const near = judged.filter((x) => x.hostname !== false);
    const preferred = isUnknown(preferredTerms) ? [] : preferredTerms.filter((t) => t.topologyKey === HOSTNAME_KEY);
    const unknown = [...new Set([...unknownLists, ...near.flatMap((x) => x.j.unknown)])];
    if (unknown.length > 0) {
        // Unknown during preview: not known to keep the replicas apart, reported (placement
        // is literal in the manifest, with no reason to wait for another resource's output).
        const known = near.flatMap((x) => x.j.failing.map((f) => `${x.at}: ${f}`));
        report(
            message(w.ref, `runs ${count} and is not known to keep two of them off one node: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT}${known.length ? ` (${known.join("; ")})` : ""}`, item, `${fix}, with values known before apply`),
        );
        return;
    }
    const why = [
        ...near.map((x) => `${x.at} on ${HOSTNAME_KEY}: ${x.j.failing.join(", ")}`),
        ...preferred.map((t) => `${t.at} on ${HOSTNAME_KEY} is only preferred, which the scheduler may ignore`),
    ];
    const detail = why.length > 0 ? why.join("; ") : `no required podAntiAffinity and no DoNotSchedule topology spread on ${HOSTNAME_KEY}`;
    report(message(w.ref, `runs ${count} but the scheduler may put two of them on one node, whose loss then takes both and can take ${lose} (${detail})`, item, fix));
}

/**
 * Seed 003: a cluster keeps working while a majority of its replicas does. Two replicas on
 * one node turn that node into a single point of failure for the quorum (2 of 3 lost with
 * it), so the scheduler must be unable to co-locate them, whatever the nodes.
 *
 * A required pod anti-affinity on kubernetes.io/hostname selecting the replicas does that:
 * a replica that would share a node stays Pending. A topology spread on the hostname with
 * whenUnsatisfiable DoNotSchedule and maxSkew 1 does it only with minDomains of at least the
 * replica count: skew is measured between the nodes there are, so on two schedulable nodes
 * 2 + 1 replicas is a skew of 1 and allowed; minDomains counts the missing nodes as empty
 * domains, which caps every node at one replica.
 */
export const tigerbeetleReplicasOnDistinctNodes: ResourceValidationPolicy = {
    name: "tigerbeetle-replicas-on-distinct-nodes",
    description:
        "A TigerBeetle StatefulSet with more than one replica cannot place two replicas on one node: a required podAntiAffinity on kubernetes.io/hostname, or a DoNotSchedule hostname topology spread with maxSkew 1 and minDomains ≥ replicas, selecting its own pods.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkloads((w, args, report) => {
        if (!isTigerBeetle(w)) {
            return args.notApplicable("applies only to the TigerBeetle StatefulSet");
        }
        // An unknown replica count may be more than one (it is 3 in prod): the rule applies.
        const n = w.replicas ?? 1;
        if (!isUnknown(n) && n <= 1) {
            return args.notApplicable("a single replica has no peer to keep off its node");
        }
        const terms = antiAffinityTerms(w);
        const placed = placements(terms.required, spreadConstraints(w), n);
        if (placed.judged.some((x) => x.j.holds === true)) {
            return;
        }
        reportUnseparated(w, n, placed, terms.preferred, report);
    }),
};
