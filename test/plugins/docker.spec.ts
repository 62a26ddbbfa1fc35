import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import {
    CommandOptions,
    CommandResult,
    IMAGE,
    Logger,
    authServer,
    contextDigest,
    createDockerProvider,
    isIgnored,
    isSecret,
    parseDockerignore,
    plain,
    pushedDigest,
    repositoryOf,
    resolveBuild,
    secret,
} from "../../toolchain/plugins/docker/provider";

const URN = `urn:pulumi:prod::m2m-platform::m2m:platform:ContainerImage$${IMAGE}::connector`;
const DIGEST = "sha256:" + "ab".repeat(32);

interface Call {
    args: string[];
    opts: CommandOptions;
    configDir?: string;
    configExisted?: boolean;
}

/** A docker CLI double: records every call, answers as the real CLI would. */
function fakeDocker(answers: Partial<Record<string, (args: string[]) => Partial<CommandResult>>> = {}) {
    const calls: Call[] = [];
    const run = async (args: string[], opts: CommandOptions): Promise<CommandResult> => {
        const dir = opts.env?.DOCKER_CONFIG;
        calls.push({ args, opts, configDir: dir, configExisted: dir ? fs.existsSync(path.join(dir, "config.json")) : undefined });
        const verb = args[0] === "image" ? "inspect" : args[0];
        const answer = answers[verb]?.(args) ?? {};
        const defaults: Record<string, string> = {
            push: `The push refers to repository [127.0.0.1:5000/m2m/connector]\nv1.0.0: digest: ${DIGEST} size: 528\n`,
            inspect: args.includes("{{.Id}}") ? "sha256:" + "cd".repeat(32) + "\n" : "[]\n",
            login: "Login Succeeded\n",
        };
        return { code: 0, stdout: defaults[verb] ?? "", stderr: "", ...answer };
    };
    return { calls, run };
}

function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docker-standin-spec-"));
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

describe("docker stand-in", () => {
    let project: string;
    beforeEach(() => {
        // A program directory with a build context "app" (Dockerfile inside) and a Dockerfile outside it.
        project = tree({
            "app/Dockerfile": "FROM scratch\nCOPY hello /hello\n",
            "app/hello": "hello\n",
            "app/sub/data.txt": "data\n",
            "docker/app.Dockerfile": "FROM scratch\nCOPY hello /hello\n",
        });
    });
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    const image = (over: Record<string, unknown> = {}) => ({
        imageName: "127.0.0.1:5000/m2m/connector:v1.0.0",
        build: { context: "app", platform: "linux/amd64" },
        registry: { server: "127.0.0.1:5000", username: "ci", password: secret("s3cr3t-pw") },
        skipPush: false,
        ...over,
    });

    async function check(news: Record<string, unknown>, log?: Logger) {
        const p = createDockerProvider({ cwd: project, run: fakeDocker().run, log });
        return p.check(URN, {}, news);
    }

    describe("Dockerfile resolution (as upstream: relative to the program directory, default <context>/Dockerfile)", () => {
        it("defaults to Dockerfile inside the context", () => {
            const b = resolveBuild({ context: "app" }, project);
            assert.strictEqual(b.dockerfile, "app/Dockerfile");
            assert.strictEqual(b.dockerfilePath, path.join(project, "app", "Dockerfile"));
            assert.strictEqual(b.relDockerfile, "Dockerfile");
            assert.strictEqual(resolveBuild(undefined, project).dockerfile, "Dockerfile");
            assert.strictEqual(resolveBuild(undefined, project).context, ".");
        });

        it("resolves an explicit dockerfile from the program directory, not from the context", () => {
            const b = resolveBuild({ context: "app", dockerfile: "docker/app.Dockerfile" }, project);
            assert.strictEqual(b.dockerfilePath, path.join(project, "docker", "app.Dockerfile"));
            assert.strictEqual(b.relDockerfile, "../docker/app.Dockerfile");
        });

        it("rejects a dockerfile given relative to the context, naming the path that would work", async () => {
            const r = await check(image({ build: { context: "app", dockerfile: "Dockerfile" } }));
            assert.strictEqual(r.failures!.length, 1);
            assert.strictEqual(r.failures![0].property, "build.dockerfile");
            assert.match(r.failures![0].reason, /could not open dockerfile at relative path "Dockerfile".*Try setting `dockerfile` to "app\/Dockerfile"/s);
        });

        it("rejects a missing absolute Dockerfile and a missing context", async () => {
            const abs = await check(image({ build: { context: "app", dockerfile: "/nonexistent/Dockerfile" } }));
            assert.match(abs.failures![0].reason, /absolute path "\/nonexistent\/Dockerfile"/);
            fs.writeFileSync(path.join(project, "Dockerfile"), "FROM scratch\n");
            const ctx = await check(image({ build: { context: "missing", dockerfile: "Dockerfile" } }));
            assert.match(ctx.failures![0].reason, /build context "missing" is not a directory/);
        });
    });

    describe("check", () => {
        it("fills the build defaults and the context digest, as upstream's Check", async () => {
            const r = await check(image({ build: { context: "app" } }));
            assert.deepStrictEqual(r.failures, []);
            const build = r.inputs.build as Record<string, unknown>;
            assert.strictEqual(build.context, "app");
            assert.strictEqual(build.dockerfile, "app/Dockerfile");
            assert.match(String(build.contextDigest), /^[0-9a-f]{64}$/);
            assert.strictEqual(r.inputs.buildOnPreview, false);
            assert.strictEqual(r.inputs.skipPush, false);
            assert.ok(isSecret((r.inputs.registry as Record<string, unknown>).password), "the password stays secret");
        });

        it("defaults the platform to the host's and says so", async () => {
            const logs: string[] = [];
            const r = await check(image({ build: { context: "app" } }), (sev, _urn, msg) => void logs.push(`${sev}: ${msg}`));
            assert.match(String((r.inputs.build as Record<string, unknown>).platform), /^linux\/[a-z0-9]+$/);
            assert.ok(logs.some((l) => /^info: Building your image for linux\//.test(l)), logs.join("\n"));
            const explicit = await check(image({ build: { context: "app", platform: "linux/arm64" } }));
            assert.strictEqual((explicit.inputs.build as Record<string, unknown>).platform, "linux/arm64");
        });

        it("requires a registry host to push to, unless skipPush", async () => {
            const r = await check(image({ imageName: "connector:v1", registry: undefined }));
            assert.match(r.failures!.map((f) => f.reason).join(), /has no registry host/);
            assert.deepStrictEqual((await check(image({ imageName: "connector:v1", registry: undefined, skipPush: true }))).failures, []);
            assert.deepStrictEqual((await check(image({ imageName: "connector:v1" }))).failures, [], "registry.server is enough, as upstream");
        });

        it("rejects a missing imageName, unknown inputs and malformed build fields", async () => {
            const reasons = (await check({ build: { context: "app", targt: "x", args: { A: 1 } }, registr: {} })).failures!.map((f) => f.property);
            assert.deepStrictEqual(reasons.sort(), ["build.args.A", "build.targt", "imageName", "registr"]);
        });

        it("leaves inputs that are unknown at preview alone", async () => {
            const r = await check(image({ imageName: unknownValue, build: { context: unknownValue } }));
            assert.deepStrictEqual(r.failures, []);
            assert.strictEqual((r.inputs.build as Record<string, unknown>).contextDigest, undefined);
        });
    });

    describe("context digest", () => {
        const digest = (dockerfile = "app/Dockerfile") => contextDigest(path.join(project, "app"), path.join(project, dockerfile));

        it("is stable for an unchanged context and changes with any file's content, name or mode", () => {
            const d0 = digest();
            assert.strictEqual(digest(), d0);
            fs.writeFileSync(path.join(project, "app/sub/data.txt"), "data2\n");
            const d1 = digest();
            assert.notStrictEqual(d1, d0, "content");
            fs.renameSync(path.join(project, "app/sub/data.txt"), path.join(project, "app/sub/data2.txt"));
            const d2 = digest();
            assert.notStrictEqual(d2, d1, "name");
            fs.chmodSync(path.join(project, "app/hello"), 0o755);
            assert.notStrictEqual(digest(), d2, "mode");
        });

        it("covers a Dockerfile outside the context", () => {
            const d0 = digest("docker/app.Dockerfile");
            fs.appendFileSync(path.join(project, "docker/app.Dockerfile"), "LABEL x=y\n");
            assert.notStrictEqual(digest("docker/app.Dockerfile"), d0);
        });

        it("ignores what .dockerignore (or <Dockerfile>.dockerignore) excludes", () => {
            fs.writeFileSync(path.join(project, "app/.dockerignore"), "# build output\nsub/\n*.log\n!keep.log\n");
            const d0 = digest();
            fs.writeFileSync(path.join(project, "app/sub/data.txt"), "changed\n");
            fs.writeFileSync(path.join(project, "app/debug.log"), "noise\n");
            assert.strictEqual(digest(), d0, "ignored files do not count");
            fs.writeFileSync(path.join(project, "app/keep.log"), "kept\n");
            assert.notStrictEqual(digest(), d0, "re-included files count");
            fs.writeFileSync(path.join(project, "docker/app.Dockerfile.dockerignore"), "hello\n");
            const outside = digest("docker/app.Dockerfile");
            fs.writeFileSync(path.join(project, "app/hello"), "other\n");
            assert.strictEqual(digest("docker/app.Dockerfile"), outside, "the Dockerfile's own ignore file wins");
        });

        it("matches .dockerignore patterns as Docker does", () => {
            const p = parseDockerignore("**/*.tmp\n/build\nnode_modules\n!node_modules/keep\ndocs/?.md\n");
            assert.ok(isIgnored("a/b/c.tmp", p) && isIgnored("c.tmp", p));
            assert.ok(isIgnored("build/out.js", p) && !isIgnored("src/build.js", p));
            assert.ok(isIgnored("node_modules/x/index.js", p) && !isIgnored("node_modules/keep", p));
            assert.ok(isIgnored("docs/a.md", p) && !isIgnored("docs/ab.md", p));
        });
    });

    describe("diff", () => {
        async function state(news: Record<string, unknown>) {
            const fake = fakeDocker();
            const p = createDockerProvider({ cwd: project, run: fake.run });
            const checked = (await p.check(URN, {}, news)).inputs;
            const created = await p.create(URN, checked);
            return { p, outs: created.outs as Record<string, unknown> };
        }
        const again = async (p: ReturnType<typeof createDockerProvider>, news: Record<string, unknown>) => p.check(URN, {}, news).then((r) => r.inputs);

        it("reports no change for an unchanged context", async () => {
            const { p, outs } = await state(image());
            const d = await p.diff("x", URN, outs, await again(p, image()));
            assert.strictEqual(d.changes, false);
        });

        it("updates (never replaces) when the context, the Dockerfile, args, target, platform or the image name change", async () => {
            const { p, outs } = await state(image());
            const changes: [string, () => Record<string, unknown>][] = [
                ["context content", () => (fs.writeFileSync(path.join(project, "app/hello"), "changed\n"), image())],
                ["args", () => image({ build: { context: "app", platform: "linux/amd64", args: { VERSION: "2" } } })],
                ["target", () => image({ build: { context: "app", platform: "linux/amd64", target: "runtime" } })],
                ["platform", () => image({ build: { context: "app", platform: "linux/arm64" } })],
                ["imageName", () => image({ imageName: "127.0.0.1:5000/m2m/connector:v1.0.1" })],
                ["registry.server", () => image({ registry: { server: "127.0.0.1:5001", username: "ci", password: secret("s3cr3t-pw") } })],
            ];
            for (const [what, news] of changes) {
                const d = await p.diff("x", URN, outs, await again(p, news()));
                assert.strictEqual(d.changes, true, what);
                assert.deepStrictEqual(d.replaces, [], `${what}: an update, as upstream`);
            }
        });

        it("does not rebuild for new registry credentials alone", async () => {
            const { p, outs } = await state(image());
            const d = await p.diff("x", URN, outs, await again(p, image({ registry: { server: "127.0.0.1:5000", username: "ci2", password: secret("rotated") } })));
            assert.strictEqual(d.changes, false);
        });

        it("treats an input unknown at preview as a change", async () => {
            const { p, outs } = await state(image());
            const d = await p.diff("x", URN, outs, { ...(await again(p, image())), imageName: unknownValue });
            assert.strictEqual(d.changes, true);
        });
    });

    describe("create", () => {
        it("builds with the given Dockerfile, target, args and platform, then logs in over stdin and pushes", async () => {
            const fake = fakeDocker();
            const p = createDockerProvider({ cwd: project, run: fake.run });
            const news = image({
                build: { context: "app", dockerfile: "docker/app.Dockerfile", target: "runtime", platform: "linux/amd64", args: { VERSION: "1", A: "x" } },
            });
            const inputs = (await p.check(URN, {}, news)).inputs;
            const r = await p.create(URN, inputs);

            assert.deepStrictEqual(
                fake.calls.map((c) => c.args[0]),
                ["build", "login", "push"],
            );
            assert.deepStrictEqual(fake.calls[0].args, [
                "build",
                "--file",
                path.join(project, "docker", "app.Dockerfile"),
                "--tag",
                "127.0.0.1:5000/m2m/connector:v1.0.0",
                "--target",
                "runtime",
                "--platform",
                "linux/amd64",
                "--build-arg",
                "A=x",
                "--build-arg",
                "VERSION=1",
                path.join(project, "app"),
            ]);
            const login = fake.calls[1];
            assert.deepStrictEqual(login.args, ["login", "--username", "ci", "--password-stdin", "127.0.0.1:5000"]);
            assert.strictEqual(login.opts.input, "s3cr3t-pw", "the password goes over stdin");
            assert.ok(login.configDir && login.configExisted, "a throwaway DOCKER_CONFIG");
            assert.notStrictEqual(login.configDir, path.join(os.homedir(), ".docker"));
            assert.strictEqual(fake.calls[2].configDir, login.configDir, "push uses the same config");
            assert.ok(!fs.existsSync(login.configDir!), "the throwaway config is removed");
            for (const c of fake.calls) assert.ok(!c.args.join(" ").includes("s3cr3t-pw"), `no password in ${c.args.join(" ")}`);
            assert.strictEqual(fake.calls[0].opts.env?.DOCKER_CONFIG, process.env.DOCKER_CONFIG, "the build keeps the user's config");

            assert.strictEqual(r.id, "127.0.0.1:5000/m2m/connector:v1.0.0");
            const outs = r.outs as Record<string, unknown>;
            assert.strictEqual(outs.repoDigest, `127.0.0.1:5000/m2m/connector@${DIGEST}`);
            assert.strictEqual(outs.imageName, "127.0.0.1:5000/m2m/connector:v1.0.0");
            assert.strictEqual(outs.baseImageName, "127.0.0.1:5000/m2m/connector:v1.0.0");
            assert.strictEqual(outs.registryServer, "127.0.0.1:5000");
            assert.strictEqual(outs.context, "app");
            assert.strictEqual(outs.dockerfile, "../docker/app.Dockerfile");
            assert.strictEqual(outs.platform, "linux/amd64");
            assert.ok(isSecret(outs.__inputs), "inputs (with the password) are stored as one secret, as upstream");
            assert.ok(!JSON.stringify({ ...outs, __inputs: undefined }).includes("s3cr3t-pw"));
        });

        it("falls back to the image's RepoDigests when the push output carries no digest", async () => {
            const fake = fakeDocker({
                push: () => ({ stdout: "pushed\n" }),
                inspect: () => ({ stdout: JSON.stringify(["other/repo@sha256:" + "00".repeat(32), `127.0.0.1:5000/m2m/connector@${DIGEST}`]) }),
            });
            const p = createDockerProvider({ cwd: project, run: fake.run });
            const r = await p.create(URN, (await p.check(URN, {}, image())).inputs);
            assert.strictEqual((r.outs as Record<string, unknown>).repoDigest, `127.0.0.1:5000/m2m/connector@${DIGEST}`);
        });

        it("honours skipPush: no login, no push, repoDigest is the local image ID", async () => {
            const fake = fakeDocker();
            const p = createDockerProvider({ cwd: project, run: fake.run });
            const r = await p.create(URN, (await p.check(URN, {}, image({ skipPush: true }))).inputs);
            assert.deepStrictEqual(
                fake.calls.map((c) => c.args.slice(0, 2).join(" ")),
                ["build --file", "image inspect"],
            );
            assert.strictEqual((r.outs as Record<string, unknown>).repoDigest, "sha256:" + "cd".repeat(32));
        });

        it("uses the host's credentials when none are given", async () => {
            const fake = fakeDocker();
            const logs: string[] = [];
            const p = createDockerProvider({ cwd: project, run: fake.run, log: (s, _u, m) => void logs.push(`${s}: ${m}`) });
            await p.create(URN, (await p.check(URN, {}, image({ registry: { server: "127.0.0.1:5000", username: "ci" } }))).inputs);
            assert.deepStrictEqual(fake.calls.map((c) => c.args[0]), ["build", "push"]);
            assert.strictEqual(fake.calls[1].configDir, process.env.DOCKER_CONFIG);
            assert.ok(logs.includes("warning: password was not set, although username was; using host credentials file"));
        });

        it("names the image and quotes docker's stderr when a step fails, never the password", async () => {
            const build = fakeDocker({ build: () => ({ code: 1, stderr: "step 1/2\nCOPY failed: file not found in build context: hello2\n" }) });
            const p = createDockerProvider({ cwd: project, run: build.run });
            await assert.rejects(p.create(URN, (await p.check(URN, {}, image())).inputs), (err: Error) => {
                assert.match(err.message, /docker build for image "127\.0\.0\.1:5000\/m2m\/connector:v1\.0\.0" failed \(exit 1\)/);
                assert.match(err.message, /COPY failed: file not found in build context: hello2/);
                return true;
            });
            const login = fakeDocker({ login: () => ({ code: 1, stderr: "Error response from daemon: login attempt failed with password s3cr3t-pw\n" }) });
            const p2 = createDockerProvider({ cwd: project, run: login.run });
            await assert.rejects(p2.create(URN, (await p2.check(URN, {}, image())).inputs), (err: Error) => {
                assert.match(err.message, /docker login to 127\.0\.0\.1:5000 for image "127\.0\.0\.1:5000\/m2m\/connector:v1\.0\.0" failed/);
                assert.ok(!err.message.includes("s3cr3t-pw"), err.message);
                assert.ok(!fs.existsSync(login.calls[1].configDir!), "the throwaway config is removed after a failure too");
                return true;
            });
        });
    });

    describe("preview", () => {
        it("computes no build output: the engine hands back the checked inputs, so every build output is unknown", async () => {
            const fake = fakeDocker();
            const p = createDockerProvider({ cwd: project, run: fake.run });
            const r = await p.check(URN, {}, image());
            for (const k of ["repoDigest", "baseImageName", "registryServer", "context", "dockerfile", "platform"]) {
                assert.ok(!(k in r.inputs), `${k} is not among the checked inputs`);
            }
            assert.deepStrictEqual(fake.calls, [], "check and diff never run docker");
        });
    });

    it("parses names the way the registry sees them", () => {
        assert.strictEqual(repositoryOf("127.0.0.1:5000/m2m/connector:v1"), "127.0.0.1:5000/m2m/connector");
        assert.strictEqual(repositoryOf("registry.example.com/a/b@sha256:" + "0".repeat(64)), "registry.example.com/a/b");
        assert.strictEqual(repositoryOf("localhost:5000/x"), "localhost:5000/x");
        assert.strictEqual(authServer(undefined, "registry.example.com/a:v1"), "registry.example.com");
        assert.strictEqual(authServer("https://registry.example.com/v2/", "x"), "registry.example.com");
        assert.strictEqual(authServer(undefined, "docker.io/team/app:v1"), "https://index.docker.io/v1/");
        assert.strictEqual(pushedDigest(`v1: digest: ${DIGEST} size: 528`), DIGEST);
        assert.strictEqual(plain(secret({ a: secret("b") })) !== undefined, true);
        assert.deepStrictEqual(plain(secret({ a: secret("b") })), { a: "b" });
    });
});
