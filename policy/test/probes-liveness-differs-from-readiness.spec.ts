import { FIRST_CONTAINER, Props, T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("probes-liveness-differs-from-readiness");
const businessLogic = named(T.deployment, "business-logic");
const tb = named(T.statefulSet, "tigerbeetle");
const probes = (match: (r: any) => boolean, liveness: Props, readiness: Props) =>
    mutate(compliantStack(), match, (p) => {
        firstContainer(p).livenessProbe = liveness;
        firstContainer(p).readinessProbe = readiness;
    });
const SAME = "Deployment my-agent/business-logic: container business-logic's liveness and readiness probes are the same check";

describe("probes-liveness-differs-from-readiness", () => {
    it("passes a TCP liveness beside an HTTP readiness, and a liveness endpoint of its own beside /health", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
        const own = probes(businessLogic, { httpGet: { path: "/health/live", port: "http" } }, { httpGet: { path: "/health/ready", port: "http" } });
        expectViolations(await runPolicy(policy, own), []);
    });

    it("reports the same HTTP check for both, whatever the timing, a named port meaning the same number", async () => {
        const v = await runPolicy(policy, probes(businessLogic, { httpGet: { path: "/health", port: "http" }, periodSeconds: 15, failureThreshold: 6 }, { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 }));
        expectViolations(v, [[SAME, "(httpGet /health on port http), so a dependency outage that fails readiness also fails liveness and restarts every pod", "[checklist item 4:", "Fix: make business-logic's liveness probe test only the process"]]);
        const numbered = probes(businessLogic, { httpGet: { path: "/health", port: 8080, scheme: "HTTP" } }, { httpGet: { path: "/health", port: "http" } });
        expectViolations(await runPolicy(policy, numbered), [[SAME, "(httpGet /health on port 8080)"]]);
    });

    it("tells HTTP checks apart by path, port, scheme, host or headers", async () => {
        const ready = { httpGet: { path: "/health", port: "http" } };
        for (const live of [
            { httpGet: { path: "/healthz", port: "http" } },
            { httpGet: { path: "/health", port: 9090 } },
            { httpGet: { path: "/health", port: "http", scheme: "HTTPS" } },
            { httpGet: { path: "/health", port: "http", httpHeaders: [{ name: "X-Probe", value: "live" }] } },
        ]) {
            expectViolations(await runPolicy(policy, probes(businessLogic, live, ready)), []);
        }
    });

    it("reports the same exec or gRPC check for both", async () => {
        const exec = { exec: { command: ["pg_isready", "-h", "127.0.0.1"] } };
        expectViolations(await runPolicy(policy, probes(businessLogic, exec, exec)), [[SAME, "(exec pg_isready -h 127.0.0.1)"]]);
        const grpc = { grpc: { port: 8080 } };
        expectViolations(await runPolicy(policy, probes(businessLogic, grpc, grpc)), [[SAME, "(grpc on port 8080)"]]);
        expectViolations(await runPolicy(policy, probes(businessLogic, { grpc: { port: 8080, service: "liveness" } }, grpc)), []);
    });

    it("allows the same TCP connect to the container's own port, as TigerBeetle does", async () => {
        expectViolations(await runPolicy(policy, probes(tb, { tcpSocket: { port: 3000 }, failureThreshold: 6 }, { tcpSocket: { port: 3000 } })), []);
        expectViolations(await runPolicy(policy, probes(tb, { tcpSocket: { port: "tigerbeetle" } }, { tcpSocket: { port: 3000 } })), []);
    });

    it("reports the same TCP connect to a port the container does not declare, or to another host", async () => {
        const other = probes(tb, { tcpSocket: { port: 9999 } }, { tcpSocket: { port: 9999 } });
        expectViolations(await runPolicy(policy, other), [["StatefulSet tigerbeetle/tigerbeetle: container tigerbeetle's liveness and readiness probes are the same tcpSocket on port 9999, which is not one of its own ports, so liveness tests another process"]]);
        const host = probes(tb, { tcpSocket: { port: 3000, host: "postgres.my-agent" } }, { tcpSocket: { port: 3000, host: "postgres.my-agent" } });
        expectViolations(await runPolicy(policy, host), [["the same tcpSocket on port 3000, on host postgres.my-agent"]]);
    });

    it("checks every container of a pod, and skips exempt ones", async () => {
        const sidecar = mutate(compliantStack(), named(T.statefulSet, "agent"), (p) => (p.spec.template.spec.containers[1].livenessProbe = p.spec.template.spec.containers[1].readinessProbe));
        expectViolations(await runPolicy(policy, sidecar), [["StatefulSet client-a/agent: container health-monitor's liveness and readiness probes are the same check"]]);
        expectViolations(await runPolicy(policy, sidecar, { "probes-liveness-differs-from-readiness": { exemptContainers: ["health-monitor"] } }), []);
    });

    it("still reports the same HTTP check with the values a preview leaves unknown elsewhere", async () => {
        const same = { httpGet: { path: "/health", port: "http" } };
        expectViolations(await runPolicy(policy, withPreviewUnknowns(probes(businessLogic, same, same))), [[SAME]]);
    });

    it("reports probes that are not known to differ, and passes those a known part tells apart", async () => {
        const live = [...FIRST_CONTAINER, "livenessProbe"];
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), businessLogic, ...live)), [["container business-logic's liveness and readiness probes are not known to differ: what would tell them apart is unknown during preview", "with values known before apply"]]);
        const path = probes(businessLogic, { httpGet: { path: UNKNOWN, port: "http" } }, { httpGet: { path: "/health", port: "http" } });
        expectViolations(await runPolicy(policy, path), [["are not known to differ"]]);
        const apart = probes(businessLogic, { httpGet: { path: UNKNOWN, port: 9090 } }, { httpGet: { path: "/health", port: "http" } });
        expectViolations(await runPolicy(policy, apart), []);
        // TigerBeetle-like TCP probes when the container's port list is unknown.
        const tcp = unknownAt(probes(tb, { tcpSocket: { port: 3000 } }, { tcpSocket: { port: 3000 } }), tb, ...FIRST_CONTAINER, "ports");
        expectViolations(await runPolicy(policy, tcp), [["the same tcpSocket on port 3000, and whether that is one of its own ports is unknown during preview"]]);
        const whole = unknownAt(compliantStack(), businessLogic, "spec", "template", "spec", "containers");
        expectViolations(await runPolicy(policy, whole), [["Deployment my-agent/business-logic: container <unknown> is unknown during preview, so its liveness and readiness probes are not known to differ"]]);
    });
});
