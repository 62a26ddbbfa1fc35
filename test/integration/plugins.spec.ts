import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMAGE, createDockerProvider, isSecret, runDocker, secret } from "../../toolchain/plugins/docker/provider";

/**
 * The docker stand-in against a real daemon and a real registry: build a `FROM scratch`
 * image, push it (through a throwaway login) and ask the registry for the digest the
 * stand-in reported. Needs dockerd (DOCKER_HOST or the default socket) and a registry on
 * LOCAL_REGISTRY (default 127.0.0.1:5000).
 */
const REGISTRY = process.env.LOCAL_REGISTRY ?? "127.0.0.1:5000";
const URN = `urn:pulumi:e2e::plugins::${IMAGE}::scratch`;
const HOW_TO_START =
    "Start them with `LOCAL_CLUSTER_DOCKER=1 scripts/local-cluster.sh up > /tmp/cluster.env && . /tmp/cluster.env` " +
    "(dockerd without bridge or iptables, and docker-registry on 127.0.0.1:5000; apt-get install docker.io docker-registry first), " +
    "or by hand: `dockerd --bridge=none --iptables=false --ip6tables=false &` and `docker-registry serve <config.yml with http.addr 127.0.0.1:5000>`.";
const MANIFEST_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
].join(", ");

describe("plugin stand-ins: docker against a real daemon and registry", function () {
    this.timeout(300000);
    let project: string;
    const repo = `${REGISTRY}/plugin-standin/scratch`;
    const tag = `it-${Date.now()}`;

    before(async () => {
        const version = await runDocker(["version", "--format", "{{.Server.Version}}"], {}).catch((err: Error) => ({ code: 1, stdout: "", stderr: err.message }));
        if (version.code !== 0) {
            throw new Error(
                `no docker daemon answers (DOCKER_HOST=${process.env.DOCKER_HOST ?? "unset: the default socket"}): ${(version.stderr.trim().split("\n").pop() ?? "").replace(/[.?]*$/, "")}. ${HOW_TO_START}`,
            );
        }
        const v2 = await fetch(`http://${REGISTRY}/v2/`).catch((err: Error) => err);
        if (v2 instanceof Error || (v2.status !== 200 && v2.status !== 401)) {
            throw new Error(`no registry answers on http://${REGISTRY}/v2/ (${v2 instanceof Error ? v2.message : `HTTP ${v2.status}`}). ${HOW_TO_START}`);
        }
        project = fs.mkdtempSync(path.join(os.tmpdir(), "plugins-it-"));
        fs.mkdirSync(path.join(project, "app"));
        fs.writeFileSync(path.join(project, "app", "Dockerfile"), "FROM scratch\nARG VERSION\nCOPY payload /payload\nLABEL org.opencontainers.image.version=$VERSION\n");
        fs.writeFileSync(path.join(project, "app", "payload"), crypto.randomBytes(32).toString("hex"));
    });

    after(async () => {
        if (project) fs.rmSync(project, { recursive: true, force: true });
        await runDocker(["image", "rm", "--force", `${repo}:${tag}`], {}).catch(() => undefined);
    });

    it("builds a FROM scratch image, pushes it, and the registry serves the reported digest", async () => {
        const provider = createDockerProvider({ cwd: project });
        const news = {
            imageName: `${repo}:${tag}`,
            build: { context: "app", platform: "linux/amd64", args: { VERSION: tag } },
            // The local registry has no authentication: login succeeds, and exercises the throwaway config.
            registry: { server: REGISTRY, username: "ci", password: secret("not-checked-by-this-registry") },
        };
        const checked = await provider.check(URN, {}, news);
        assert.deepStrictEqual(checked.failures, []);
        const created = await provider.create(URN, checked.inputs);
        const outs = created.outs as Record<string, unknown>;

        assert.strictEqual(created.id, `${repo}:${tag}`);
        assert.match(String(outs.repoDigest), new RegExp(`^${repo.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`));
        assert.ok(isSecret(outs.__inputs));
        const digest = String(outs.repoDigest).split("@")[1];

        const byDigest = await fetch(`http://${REGISTRY}/v2/plugin-standin/scratch/manifests/${digest}`, { headers: { Accept: MANIFEST_TYPES } });
        assert.strictEqual(byDigest.status, 200, `the registry serves ${digest}`);
        const body = Buffer.from(await byDigest.arrayBuffer());
        assert.strictEqual(`sha256:${crypto.createHash("sha256").update(body).digest("hex")}`, digest, "the manifest hashes to the digest");

        const byTag = await fetch(`http://${REGISTRY}/v2/plugin-standin/scratch/manifests/${tag}`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } });
        assert.strictEqual(byTag.status, 200);
        assert.strictEqual(byTag.headers.get("docker-content-digest"), digest, "the tag points at the reported digest");

        // Unchanged context: no diff. Changed context: an update that yields a new digest.
        const same = await provider.check(URN, {}, news);
        assert.strictEqual((await provider.diff(created.id, URN, outs, same.inputs)).changes, false);
        fs.writeFileSync(path.join(project, "app", "payload"), crypto.randomBytes(32).toString("hex"));
        const changed = await provider.check(URN, {}, news);
        const d = await provider.diff(created.id, URN, outs, changed.inputs);
        assert.deepStrictEqual([d.changes, d.replaces], [true, []]);
        const updated = await provider.update(created.id, URN, outs, changed.inputs);
        assert.notStrictEqual((updated.outs as Record<string, unknown>).repoDigest, outs.repoDigest);
    });
});
