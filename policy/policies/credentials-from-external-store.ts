import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, ResourceRef, TYPES, UNKNOWN, UNKNOWN_TEXT, Workload, containerLabel, describe, get, isUnknown, list, message, refOf, shown, str, workloadOf } from "../lib";

type Res = PolicyResource & { ref: ResourceRef };

/** An ExternalSecret of the External Secrets Operator, at any API version (v1, v1beta1). */
const EXTERNAL_SECRET = /^kubernetes:external-secrets\.io\/[^:/]+:ExternalSecret$/;

/** One Secret a workload's pods read: its name (UNKNOWN during preview when computed) and through what. */
interface SecretRead {
    name: Maybe<string>;
    via: string;
}

/**
 * Every Secret the workload's pods read: env `secretKeyRef`, `envFrom.secretRef`, `secret`
 * and projected volumes, `imagePullSecrets`. A list unknown during preview may read any:
 * it is named in `open`. An unknown element of a list may be a Secret reference: it is
 * read with its name unknown.
 */
function secretsRead(w: Workload): { reads: SecretRead[]; open: string[] } {
    const reads: SecretRead[] = [];
    const open: string[] = [];
    const each = (value: unknown, what: string, visit: (element: unknown) => void) => {
        const xs = list(value);
        if (isUnknown(xs)) {
            open.push(what);
            return;
        }
        xs.forEach(visit);
    };
    // A reference whose object is unknown is a read whose name is unknown; an absent one is none.
    const ref = (holder: unknown, field: string, via: string) => {
        if (holder === undefined || holder === null) {
            return;
        }
        const name = isUnknown(holder) ? UNKNOWN : str(get(holder, field));
        if (name !== undefined) {
            reads.push({ name, via });
        }
    };
    each(get(w.podSpec, "imagePullSecrets"), "imagePullSecrets", (e) => ref(e, "name", "imagePullSecrets"));
    each(get(w.podSpec, "volumes"), "volumes", (v) => {
        if (isUnknown(v)) {
            reads.push({ name: UNKNOWN, via: "a volume" });
            return;
        }
        const volume = `volume ${shown(str(get(v, "name")) ?? "")}`.trim();
        ref(get(v, "secret"), "secretName", volume);
        each(get(v, "projected", "sources"), `${volume} projected sources`, (src) => ref(isUnknown(src) ? UNKNOWN : get(src, "secret"), "name", `${volume} (projected)`));
    });
    for (const c of w.containers) {
        if (isUnknown(c.container)) {
            open.push(`${containerLabel(c)}`);
            continue;
        }
        each(get(c.container, "env"), `${containerLabel(c)} env`, (e) => {
            const valueFrom = isUnknown(e) ? UNKNOWN : get(e, "valueFrom");
            ref(isUnknown(valueFrom) ? UNKNOWN : get(valueFrom, "secretKeyRef"), "name", `${containerLabel(c)} env ${shown(str(get(e, "name")) ?? "")}`.trim());
        });
        each(get(c.container, "envFrom"), `${containerLabel(c)} envFrom`, (e) => ref(isUnknown(e) ? UNKNOWN : get(e, "secretRef"), "name", `${containerLabel(c)} envFrom`));
    }
    return { reads, open };
}

/**
 * The resources a Secret's values are computed from, as the engine reports them: the
 * propertyDependencies of `stringData` and `data`; without any for either (an engine that
 * sends none), all its dependencies.
 */
function dataSources(s: PolicyResource): PolicyResource[] {
    const deps = s.propertyDependencies ?? {};
    const byProperty = ["stringData", "data"].filter((k) => k in deps);
    return byProperty.length > 0 ? byProperty.flatMap((k) => deps[k] ?? []) : (s.dependencies ?? []);
}

/**
 * Whether the stack generates the Secret's values: they are computed from a resource of the
 * stack that is not a Kubernetes object (a random key or password). Values computed from
 * nothing but literals, the stack config and Kubernetes objects (a namespace's name) come
 * from the program or the stack config.
 */
function generated(s: PolicyResource): boolean {
    return dataSources(s).some((d) => !d.type.startsWith("kubernetes:"));
}

/** Whether two objects may share a namespace: the same one, or either unknown during preview. */
function mayShareNamespace(a: ResourceRef, b: ResourceRef): boolean {
    return isUnknown(a.namespace) || isUnknown(b.namespace) || a.namespace === b.namespace;
}

/**
 * Issue 13: with the credentials in an external store (the stack holds ExternalSecrets), no
 * Secret a workload reads may be a plain Secret of the stack carrying values from the
 * program or the stack config: those are the operator-supplied credentials the store
 * replaces (the program then makes them with ExternalSecrets of the same names). Secrets
 * whose values the stack generates (CAP keys, the PostgreSQL password) stay Pulumi Secrets.
 * A Secret the stack registers that is also an ExternalSecret's target would be written by
 * both Pulumi and ESO.
 */
export const credentialsFromExternalStore: StackValidationPolicy = {
    name: "credentials-from-external-store",
    description:
        "With ExternalSecrets in the stack, every Secret a workload reads that the stack registers itself holds values the stack generates (computed from a non-Kubernetes resource such as a random key), never values from the program or stack config, and no such Secret is also an ExternalSecret's target.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const item = CHECKLIST.secrets;
        const externals: Res[] = args.resources.filter((r) => EXTERNAL_SECRET.test(r.type)).map((r) => ({ ...r, ref: refOf(r.type, r.props, r.name) }));
        if (externals.length === 0) {
            return args.notApplicable("the stack holds no ExternalSecret: its credentials come from Pulumi config (secrets.source pulumi)");
        }
        const stores = externals.map((e) => describe(e.ref)).join(", ");
        const secrets: Res[] = args.resources.filter((r) => r.type === TYPES.secret).map((r) => ({ ...r, ref: refOf(r.type, r.props, r.name) }));
        const nameOf = (s: Res) => str(get(s.props, "metadata", "name"));

        // A Secret of the stack that an ExternalSecret also targets. An unknown target name is
        // not counted (the program writes it literally).
        for (const s of secrets) {
            for (const e of externals) {
                const target = str(get(e.props, "spec", "target", "name")) ?? str(get(e.props, "metadata", "name"));
                if (typeof target === "string" && nameOf(s) === target && mayShareNamespace(s.ref, e.ref)) {
                    report(
                        message(s.ref, `is also the target of ${describe(e.ref)}, so Pulumi and the External Secrets Operator would both write it`, item, `drop the Secret from the program and let ${describe(e.ref)} make it`),
                        s.urn,
                    );
                }
            }
        }

        const plain = secrets.filter((s) => !generated(s));
        const readers = new Map<Res, string[]>();
        const read = (s: Res, by: string) => readers.set(s, [...(readers.get(s) ?? []), by]);
        for (const r of args.resources) {
            const w = workloadOf(r.type, r.props, r.urn, r.name);
            if (!w) {
                continue;
            }
            const { reads, open } = secretsRead(w);
            const here = plain.filter((s) => mayShareNamespace(s.ref, w.ref));
            const spec = new Set((r.propertyDependencies?.spec ?? r.dependencies ?? []).map((d) => d.urn));
            const seen = new Set<Res>();
            for (const x of reads) {
                // A name unknown during preview is computed from an output: the program passes a
                // Secret's metadata.name output. It names one of the plain Secrets its spec depends
                // on; a name computed from nothing of theirs names none of them.
                const matches = isUnknown(x.name) ? here.filter((s) => spec.has(s.urn)) : here.filter((s) => nameOf(s) === x.name || (isUnknown(nameOf(s)) && spec.has(s.urn)));
                for (const s of matches.filter((m) => !seen.has(m))) {
                    seen.add(s);
                    read(s, `${describe(w.ref)} (${x.via}${isUnknown(x.name) ? `, its name ${UNKNOWN_TEXT}` : ""})`);
                }
            }
            // A list unknown during preview may read any plain Secret of its namespace: not known
            // not to, so reported on the workload.
            const unread = here.filter((s) => !seen.has(s));
            if (open.length > 0 && unread.length > 0) {
                report(
                    message(
                        w.ref,
                        `its ${open.join(", ")} ${open.length > 1 ? "are" : "is"} ${UNKNOWN_TEXT}, so it is not known not to read ${unread.map((s) => describe(s.ref)).join(", ")}, whose values come from the program or the stack config, while the stack takes its credentials from the external store`,
                        item,
                        "declare the workload's Secret references with names known before apply",
                    ),
                    w.urn,
                );
            }
        }
        for (const [s, by] of readers) {
            const name = nameOf(s);
            const target = typeof name === "string" ? name : s.ref.name;
            report(
                message(
                    s.ref,
                    `is read by ${by.join(", ")} and is a plain Secret whose values come from the program or the stack config (they are computed from no resource of the stack that generates values), while the stack takes its credentials from the external store (${stores})`,
                    item,
                    `map the credential to a remote key (secrets.remoteKeys) so that an ExternalSecret makes ${target} from the store, or generate the value in the stack (a random key or password)`,
                ),
                s.urn,
            );
        }
    },
};
