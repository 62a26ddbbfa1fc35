import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, Maybe, UNKNOWN, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, keys, list, message, num, shown, str, validateWorkloads } from "../lib";

interface Config {
    exemptContainers: string[];
}

const HANDLERS = ["httpGet", "tcpSocket", "exec", "grpc"] as const;
type Kind = (typeof HANDLERS)[number];

/** A probe's check: its handler kind and the fields that say what it tests, each possibly UNKNOWN. */
interface Check {
    kind: Kind;
    fields: Record<string, Maybe<string>>;
    /** The port it connects to, resolved to a number where the container names it. */
    port?: Maybe<string>;
}

/** The container's ports: name → containerPort, and the port numbers; UNKNOWN when its port list is. */
function portsOf(container: unknown): Maybe<{ byName: Map<string, string>; numbers: Set<string> }> {
    const ports = list(get(container, "ports"));
    if (isUnknown(ports)) {
        return UNKNOWN;
    }
    const byName = new Map<string, string>();
    const numbers = new Set<string>();
    for (const p of ports) {
        const n = num(get(p, "containerPort"));
        const name = str(get(p, "name"));
        if (typeof n === "number") {
            numbers.add(String(n));
            if (typeof name === "string") {
                byName.set(name, String(n));
            }
        }
    }
    return { byName, numbers };
}

/** A port (number or name) as the number it means, or its name when the container does not declare it; UNKNOWN when not known. */
function resolvePort(value: unknown, ports: ReturnType<typeof portsOf>): Maybe<string> {
    const p = str(value);
    if (isUnknown(p)) {
        return UNKNOWN;
    }
    if (p === undefined || /^[0-9]+$/.test(p)) {
        return p ?? "";
    }
    if (isUnknown(ports)) {
        return UNKNOWN;
    }
    return ports.byName.get(p) ?? p;
}

/** A string list (exec command, HTTP headers) as one comparable string; UNKNOWN when any of it is. */
function joined(values: Maybe<unknown[]>, each: (v: unknown) => Maybe<string> | undefined): Maybe<string> {
    if (isUnknown(values)) {
        return UNKNOWN;
    }
    const parts = values.map(each);
    return parts.some(isUnknown) ? UNKNOWN : JSON.stringify(parts);
}

/** What a probe checks, UNKNOWN when its handler is not known; undefined when it has none. */
function checkOf(probe: unknown, ports: ReturnType<typeof portsOf>): Maybe<Check> | undefined {
    const ks = keys(probe);
    if (isUnknown(ks)) {
        return UNKNOWN;
    }
    const kind = HANDLERS.find((k) => ks.includes(k) && get(probe, k) !== undefined && get(probe, k) !== null);
    if (kind === undefined) {
        return undefined;
    }
    const h = get(probe, kind);
    const dflt = (v: Maybe<string> | undefined, d: string) => (v === undefined || v === "" ? d : v);
    switch (kind) {
        case "httpGet": {
            const port = resolvePort(get(h, "port"), ports);
            const scheme = dflt(str(get(h, "scheme")), "HTTP");
            const headers = joined(list(get(h, "httpHeaders")), (x) => {
                const name = str(get(x, "name"));
                const value = str(get(x, "value"));
                return isUnknown(name) || isUnknown(value) ? UNKNOWN : `${name ?? ""}: ${value ?? ""}`;
            });
            return { kind, port, fields: { path: dflt(str(get(h, "path")), "/"), port, host: dflt(str(get(h, "host")), ""), scheme: isUnknown(scheme) ? UNKNOWN : scheme.toUpperCase(), httpHeaders: headers } };
        }
        case "tcpSocket": {
            const port = resolvePort(get(h, "port"), ports);
            return { kind, port, fields: { port, host: dflt(str(get(h, "host")), "") } };
        }
        case "grpc": {
            const port = resolvePort(get(h, "port"), ports);
            return { kind, port, fields: { port, service: dflt(str(get(h, "service")), "") } };
        }
        case "exec":
            return { kind, fields: { command: joined(list(get(h, "command")), (x) => str(x) ?? "") } };
    }
}

/** Whether two checks are the same: false when a known part differs, UNKNOWN when only unknown parts could. */
function same(a: Maybe<Check>, b: Maybe<Check>): Maybe<boolean> {
    if (isUnknown(a) || isUnknown(b)) {
        return UNKNOWN;
    }
    if (a.kind !== b.kind) {
        return false;
    }
    let unknown = false;
    for (const [field, value] of Object.entries(a.fields)) {
        const other = b.fields[field];
        if (isUnknown(value) || isUnknown(other)) {
            unknown = true;
        } else if (value !== other) {
            return false;
        }
    }
    return unknown ? UNKNOWN : true;
}

function describeCheck(c: Check, raw: unknown): string {
    const port = shown(str(get(raw, c.kind, "port")));
    switch (c.kind) {
        case "httpGet":
            return `httpGet ${shown(c.fields.path)} on port ${port}`;
        case "tcpSocket":
            return `tcpSocket on port ${port}`;
        case "grpc":
            return `grpc on port ${port}`;
        case "exec":
            return `exec ${isUnknown(c.fields.command) ? "<unknown>" : (JSON.parse(c.fields.command!) as string[]).join(" ")}`;
    }
}

/**
 * Issue 9: readiness and liveness answer different questions. Readiness ("should it get
 * traffic?") may follow the dependencies: a failing database takes the pods out of the
 * Service's endpoints and puts them back when it recovers. Liveness ("is the process
 * stuck?") must not: when it is the same check, a dependency outage fails liveness on every
 * pod at once and the kubelet restarts them all, turning an outage elsewhere into one here.
 *
 * The same HTTP, gRPC or exec check for both is reported: whatever it tests, it tests it
 * twice. The same TCP connect to one of the container's own ports is allowed: a connect
 * succeeds while the process accepts connections, which depends on nothing but the process
 * (TigerBeetle, which serves no health endpoint, uses it for both). A TCP check on a port
 * the container does not declare, or on another host, may test another process: reported.
 * Timing (delays, periods, thresholds) does not make two checks different.
 */
export const probesLivenessDiffersFromReadiness: ResourceValidationPolicy = {
    name: "probes-liveness-differs-from-readiness",
    description:
        "No container's liveness probe is the same HTTP, gRPC or exec check as its readiness probe (a dependency outage would restart every pod instead of taking it out of endpoints); the same TCP connect to the container's own port is allowed.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exemptContainers: { type: "array", items: { type: "string" }, default: [], description: "Container names exempt from this policy." },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        const { exemptContainers } = configOf<Config>(args, probesLivenessDiffersFromReadiness.configSchema!);
        const item = CHECKLIST.healthChecks;
        const fix = (name: string) => `make ${name}'s liveness probe test only the process (tcpSocket on its own port, or its own liveness endpoint) and keep the dependency checks in readiness`;
        for (const c of w.containers.filter((x) => !exemptContainers.includes(x.name))) {
            if (isUnknown(c.container)) {
                // An unknown container (or list) is not known to keep its probes apart: reported.
                report(message(w.ref, `${containerLabel(c)} is ${UNKNOWN_TEXT}, so its liveness and readiness probes are not known to differ`, item, "declare the containers and their probes in the manifest"));
                continue;
            }
            const liveness = get(c.container, "livenessProbe");
            const readiness = get(c.container, "readinessProbe");
            if (liveness === undefined || liveness === null || readiness === undefined || readiness === null) {
                // A missing probe is containers-have-health-probes' concern.
                continue;
            }
            const ports = portsOf(c.container);
            const live = checkOf(liveness, ports);
            const ready = checkOf(readiness, ports);
            if (live === undefined || ready === undefined) {
                continue;
            }
            const identical = same(live, ready);
            if (identical === false) {
                continue;
            }
            if (isUnknown(identical)) {
                // A probe (or the part of it that would tell them apart) unknown during preview
                // is not known to differ: reported (probes are literal in the manifest).
                report(message(w.ref, `${containerLabel(c)}'s liveness and readiness probes are not known to differ: what would tell them apart is ${UNKNOWN_TEXT}`, item, `${fix(c.name)}, with values known before apply`));
                continue;
            }
            const check = live as Check;
            const what = describeCheck(check, liveness);
            if (check.kind === "tcpSocket") {
                // Identical TCP connects are allowed on the container's own port, on the pod's own
                // address (no host): they test only that the process accepts connections.
                const host = check.fields.host;
                const own: Maybe<boolean> = isUnknown(ports) ? UNKNOWN : ports.numbers.has(String(check.port));
                if (host === "" && own === true) {
                    continue;
                }
                if (isUnknown(own)) {
                    report(message(w.ref, `${containerLabel(c)}'s liveness and readiness probes are the same ${what}, and whether that is one of its own ports is ${UNKNOWN_TEXT} (its port list is)`, item, `${fix(c.name)}, or declare its ports in the manifest`));
                    continue;
                }
                const where = host !== "" ? `on host ${shown(host)}` : "which is not one of its own ports";
                report(message(w.ref, `${containerLabel(c)}'s liveness and readiness probes are the same ${what}, ${where}, so liveness tests another process and its failure restarts this one`, item, `${fix(c.name)} (a TCP liveness check connects to a port the container declares)`));
                continue;
            }
            report(
                message(w.ref, `${containerLabel(c)}'s liveness and readiness probes are the same check (${what}), so a dependency outage that fails readiness also fails liveness and restarts every pod instead of taking it out of endpoints`, item, fix(c.name)),
            );
        }
    }),
};
