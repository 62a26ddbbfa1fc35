import * as assert from "assert";
import { CapturedStack, captureStack, containerOf, find, isSecretAt, ofKind } from "./harness";

describe("BusinessLogic", () => {
    let dev: CapturedStack;
    let prod: CapturedStack;
    before(async () => {
        dev = await captureStack("dev");
        prod = await captureStack("prod");
    });

    it("runs 2 replicas in dev and 3 in prod, leaving the count to the HPA afterwards", () => {
        assert.strictEqual(find(dev, "Deployment", "business-logic").props.spec.replicas, 2);
        assert.strictEqual(find(prod, "Deployment", "business-logic").props.spec.replicas, 3);
    });

    it("scales 2-20 replicas on CPU 70% and memory 85%, with memory limits equal to requests so that it can scale back down", () => {
        const hpa = find(prod, "HorizontalPodAutoscaler", "business-logic-hpa").props.spec;
        assert.deepStrictEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "business-logic" });
        assert.strictEqual(hpa.minReplicas, 2);
        assert.strictEqual(hpa.maxReplicas, 20);
        assert.deepStrictEqual(
            hpa.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]),
            [
                ["cpu", 70],
                ["memory", 85],
            ],
        );
        for (const stack of [dev, prod]) {
            const r = containerOf(find(stack, "Deployment", "business-logic"), "business-logic").resources;
            assert.strictEqual(r.limits.memory, r.requests.memory, "a limit above the request keeps utilization above the target");
        }
    });

    it("takes pods out of endpoints on a failed /health, and restarts only those whose port stops answering", () => {
        const c = containerOf(find(dev, "Deployment", "business-logic"), "business-logic");
        assert.strictEqual(c.readinessProbe.httpGet.path, "/health");
        assert.strictEqual(c.livenessProbe.httpGet, undefined, "a database outage fails /health: it must not restart every pod");
        assert.deepStrictEqual(c.livenessProbe.tcpSocket, { port: "http" });
        assert.strictEqual(find(dev, "Service", "business-logic").props.spec.ports[0].port, 8080);
    });

    it("runs PostgreSQL on a PVC with a generated password kept in a Secret", () => {
        const pg = find(prod, "StatefulSet", "postgres");
        assert.strictEqual(pg.props.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
        assert.strictEqual(pg.protect, true);
        const [password] = ofKind(prod, "RandomPassword");
        assert.strictEqual(password.props.length, 32);
        const secret = find(prod, "Secret", "postgres-credentials");
        assert.ok(isSecretAt(secret, "stringData.POSTGRES_PASSWORD"));
        assert.ok(isSecretAt(secret, "stringData.DATABASE_URL"));
        assert.strictEqual(
            secret.props.stringData.DATABASE_URL,
            `postgres://app:${password.props.result}@postgres.my-agent.svc.cluster.local:5432/app`,
        );
        const c = containerOf(find(prod, "Deployment", "business-logic"), "business-logic");
        assert.deepStrictEqual(c.env, [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "DATABASE_URL" } } }]);
    });

    it("uses an external database URL from secret config instead of running PostgreSQL", async () => {
        const ext = await captureStack(
            "prod",
            { businessLogic: { database: { mode: "external" } } },
            { secrets: { ...(await import("./harness")).PROD_SECRETS, businessLogicDatabaseUrl: "postgres://u:p@db.internal:5432/app" } },
        );
        assert.throws(() => find(ext, "StatefulSet", "postgres"), /found 0/);
        const secret = find(ext, "Secret", "business-logic-database");
        assert.ok(isSecretAt(secret, "stringData.DATABASE_URL"));
    });

    it("reaches an external database on the CIDRs and port the config names, a private address included", async () => {
        const secrets = { ...(await import("./harness")).PROD_SECRETS, businessLogicDatabaseUrl: "postgres://u:p@10.20.0.5:6432/app" };
        const external = (database: Record<string, unknown>) => captureStack("prod", { businessLogic: { database: { mode: "external", ...database } } }, { secrets });
        const egress = (s: Awaited<ReturnType<typeof external>>) => find(s, "NetworkPolicy", "business-logic").props.spec.egress[0];
        const privateDb = egress(await external({ egressCidrs: ["10.20.0.0/24"], port: 6432 }));
        assert.deepStrictEqual(privateDb.to, [{ ipBlock: { cidr: "10.20.0.0/24" } }]);
        assert.deepStrictEqual(privateDb.ports, [{ protocol: "TCP", port: 6432 }]);
        const byDefault = egress(await external({}));
        assert.ok(byDefault.to[0].ipBlock.except.includes("10.0.0.0/8"), "unset: public addresses only, as before");
        assert.deepStrictEqual(byDefault.ports, [{ protocol: "TCP", port: 5432 }]);
    });

    it("admits only the agent runtime and reaches only its database", () => {
        const np = find(dev, "NetworkPolicy", "business-logic").props.spec;
        assert.strictEqual(np.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "m2m-agent-runtime");
        assert.deepStrictEqual(np.egress[0].to[0].podSelector.matchLabels, find(dev, "StatefulSet", "postgres").props.spec.selector.matchLabels);
        const pg = find(dev, "NetworkPolicy", "postgres").props.spec;
        assert.deepStrictEqual(pg.ingress[0].from[0].podSelector.matchLabels, find(dev, "Deployment", "business-logic").props.spec.selector.matchLabels);
    });
});
