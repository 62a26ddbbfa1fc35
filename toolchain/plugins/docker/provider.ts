/**
 * Offline stand-in for the `docker` resource provider plugin (NOT the upstream
 * pulumi-docker provider). It implements only `docker:index/image:Image`, as
 * `@pulumi/docker` 5.2.0 declares it, by driving the `docker` CLI. See
 * toolchain/plugins/README.md for what it does and where it differs from upstream.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CheckFailure, CheckResult, CreateResult, DiffResult, Provider, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** The version this stand-in reports: the upstream SDK version, marked as a stand-in build. */
export const STANDIN_VERSION = "5.2.0+offline.stand-in";
export const IMAGE = "docker:index/image:Image";
const DEFAULT_DOCKERFILE = "Dockerfile";
const INPUTS = ["build", "buildOnPreview", "imageName", "registry", "skipPush"];
const BUILD_FIELDS = ["addHosts", "args", "builderVersion", "cacheFrom", "context", "contextDigest", "dockerfile", "network", "platform", "target"];

// Wire values (secrets, unknowns): ../wire.ts; re-exported for the specs.
import { hasUnknown, isSecret, plain, secret } from "../wire";
export { hasUnknown, isSecret, plain, secret };

/** Plain, with null/undefined entries and empty maps dropped and keys sorted: for comparing. */
function canonical(v: unknown): unknown {
    const p = plain(v);
    if (p === null || p === undefined) return undefined;
    if (Array.isArray(p)) return p.map(canonical);
    if (typeof p === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(p as object).sort()) {
            const c = canonical((p as Record<string, unknown>)[k]);
            if (c !== undefined) out[k] = c;
        }
        return Object.keys(out).length === 0 ? undefined : out;
    }
    return p;
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out;
}

function known(v: unknown): boolean {
    return v !== undefined && v !== null && !hasUnknown(v);
}

// ---- the docker CLI -------------------------------------------------------------------

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface CommandOptions {
    env?: NodeJS.ProcessEnv;
    /** Written to the command's stdin (then closed); never logged. */
    input?: string;
    /** Called with each output line as it arrives (progress). */
    onLine?: (line: string) => void;
}

/** Runs `docker <args>`; injected so that specs need no daemon. */
export type CommandRunner = (args: string[], opts: CommandOptions) => Promise<CommandResult>;

export const runDocker: CommandRunner = (args, opts) =>
    new Promise((resolve, reject) => {
        const child = spawn(process.env.DOCKER_CLI ?? "docker", args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const lines = (chunk: string, buf: { rest: string }): void => {
            if (!opts.onLine) return;
            const parts = (buf.rest + chunk).split(/\r?\n/);
            buf.rest = parts.pop() ?? "";
            for (const l of parts) if (l.trim()) opts.onLine(l);
        };
        const outBuf = { rest: "" };
        const errBuf = { rest: "" };
        child.stdout.setEncoding("utf8").on("data", (c: string) => ((stdout += c), lines(c, outBuf)));
        child.stderr.setEncoding("utf8").on("data", (c: string) => ((stderr += c), lines(c, errBuf)));
        child.on("error", (err) => reject(new Error(`could not run docker: ${err.message} (is the docker CLI installed and on PATH?)`)));
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });

export type Severity = "info" | "warning" | "error";
/** Diagnostics to the engine (shown on the resource); `ephemeral` for progress lines. */
export type Logger = (severity: Severity, urn: string, message: string, ephemeral?: boolean) => void | Promise<void>;

export interface DockerProviderOptions {
    /** Runs the docker CLI (default: spawn `docker`). */
    run?: CommandRunner;
    /** The directory relative paths are resolved from: the program directory (the plugin's cwd). */
    cwd?: string;
    log?: Logger;
    /** Node's process.arch, for the default platform. */
    arch?: string;
}

// ---- names ----------------------------------------------------------------------------

/** The registry host of a reference, or undefined when it has none (Docker Hub shorthand). */
export function registryOf(ref: string): string | undefined {
    const slash = ref.indexOf("/");
    if (slash < 0) return undefined;
    const first = ref.slice(0, slash);
    return first.includes(".") || first.includes(":") || first === "localhost" ? first : undefined;
}

/** The repository of a reference: without tag or digest. */
export function repositoryOf(ref: string): string {
    let r = ref;
    const at = r.indexOf("@");
    if (at >= 0) r = r.slice(0, at);
    const colon = r.lastIndexOf(":");
    if (colon > r.lastIndexOf("/")) r = r.slice(0, colon);
    return r;
}

/** Where credentials for a push go: the registry server, else the image's host (Docker Hub's legacy name). */
export function authServer(server: string | undefined, imageName: string): string {
    const host = server ? server.replace(/^https?:\/\//, "").replace(/\/.*$/, "") : registryOf(imageName) ?? "docker.io";
    return ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host) ? "https://index.docker.io/v1/" : host;
}

// ---- the Dockerfile and the build context ----------------------------------------------

export interface ResolvedBuild {
    /** As given (default "."). */
    context: string;
    /** As given (default `<context>/Dockerfile`). */
    dockerfile: string;
    contextPath: string;
    dockerfilePath: string;
    /** The Dockerfile relative to the context, with forward slashes ("../x" when outside). */
    relDockerfile: string;
}

/**
 * Upstream's rule: `context` defaults to "."; `dockerfile` defaults to `<context>/Dockerfile`;
 * an explicit `dockerfile` is a path relative to the program directory (NOT to the context).
 */
export function resolveBuild(build: Record<string, unknown> | undefined, cwd: string): ResolvedBuild {
    const context = typeof build?.context === "string" && build.context !== "" ? build.context : ".";
    const dockerfile =
        typeof build?.dockerfile === "string" && build.dockerfile !== "" ? build.dockerfile : path.posix.join(context, DEFAULT_DOCKERFILE);
    const contextPath = path.resolve(cwd, context);
    const dockerfilePath = path.resolve(cwd, dockerfile);
    const relDockerfile = path.relative(contextPath, dockerfilePath).split(path.sep).join("/");
    return { context, dockerfile, contextPath, dockerfilePath, relDockerfile };
}

/** Why the Dockerfile cannot be used, as upstream words it, or undefined when it can. */
export function dockerfileProblem(b: ResolvedBuild, cwd: string): string | undefined {
    if (fs.existsSync(b.dockerfilePath) && fs.statSync(b.dockerfilePath).isFile()) return undefined;
    if (path.isAbsolute(b.dockerfile)) return `could not open dockerfile at absolute path ${JSON.stringify(b.dockerfile)}`;
    const inContext = path.join(b.context, b.dockerfile);
    const hint = fs.existsSync(path.resolve(cwd, inContext)) ? `. Try setting \`dockerfile\` to ${JSON.stringify(inContext)}` : "";
    return `could not open dockerfile at relative path ${JSON.stringify(b.dockerfile)} (relative paths are resolved from the program directory ${cwd}, not from the context)${hint}`;
}

interface IgnorePattern {
    re: RegExp;
    negate: boolean;
}

/** .dockerignore lines (comments, blanks, `!` negation, leading "/" and "./" ignored), as regexps. */
export function parseDockerignore(text: string): IgnorePattern[] {
    const out: IgnorePattern[] = [];
    for (const raw of text.split(/\r?\n/)) {
        let line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        let negate = false;
        if (line.startsWith("!")) {
            negate = true;
            line = line.slice(1).trim();
        }
        line = path.posix.normalize(line).replace(/^\/+/, "").replace(/\/+$/, "");
        if (line === "." || line === "") continue;
        out.push({ re: globToRegExp(line), negate });
    }
    return out;
}

function globToRegExp(glob: string): RegExp {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*" && glob[i + 1] === "*") {
            if (glob[i + 2] === "/") {
                re += "(?:.*/)?";
                i += 2;
            } else {
                re += ".*";
                i += 1;
            }
        } else if (c === "*") re += "[^/]*";
        else if (c === "?") re += "[^/]";
        else if (c === "\\" && i + 1 < glob.length) re += "\\" + glob[++i];
        else if (c === "[") {
            const end = glob.indexOf("]", i + 1);
            if (end < 0) re += "\\[";
            else {
                re += "[" + glob.slice(i + 1, end).replace(/^!/, "^") + "]";
                i = end;
            }
        } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
    return new RegExp("^" + re + "$");
}

/** Whether a context-relative path is excluded: the last pattern matching it, or one of its parents, decides. */
export function isIgnored(rel: string, patterns: IgnorePattern[]): boolean {
    const segments = rel.split("/");
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const p of patterns) if (prefixes.some((x) => p.re.test(x))) ignored = !p.negate;
    return ignored;
}

/** Go's os.FileMode.String() for the kinds a context holds (it goes into upstream's digest). */
function goMode(st: fs.Stats | undefined): string {
    if (!st) return "----------";
    const type = st.isDirectory() ? "d" : st.isSymbolicLink() ? "L" : st.isFIFO() ? "p" : st.isSocket() ? "S" : st.isCharacterDevice() ? "Dc" : st.isBlockDevice() ? "D" : "-";
    const rwx = "rwxrwxrwx";
    let perm = "";
    for (let i = 0; i < 9; i++) perm += st.mode & (1 << (8 - i)) ? rwx[i] : "-";
    return type + perm;
}

/**
 * The build-context digest, computed as upstream does: the Dockerfile (always under the
 * name "Dockerfile"), then every file of the context not excluded by the ignore file, in
 * lexical order, each as relative name + mode + sha256(content) (symlinks: their target
 * path), all hashed again with sha256. An unchanged context gives an unchanged digest.
 */
export function contextDigest(contextPath: string, dockerfilePath: string): string {
    let ignoreText = "";
    for (const candidate of [dockerfilePath + ".dockerignore", path.join(contextPath, ".dockerignore")]) {
        if (fs.existsSync(candidate)) {
            ignoreText = fs.readFileSync(candidate, "utf8");
            break;
        }
    }
    const patterns = parseDockerignore(ignoreText);
    const acc = crypto.createHash("sha256");
    const entry = (file: string, rel: string, st: fs.Stats | undefined): void => {
        const h = crypto.createHash("sha256");
        if (st?.isSymbolicLink()) {
            let target: string;
            try {
                target = fs.realpathSync(file);
            } catch {
                target = fs.readlinkSync(file);
            }
            h.update(path.normalize(target).split(path.sep).join("/"));
        } else if (!st || st.isFile()) {
            h.update(fs.readFileSync(file));
        }
        acc.update(path.posix.normalize(rel));
        acc.update(goMode(st));
        acc.update(h.digest());
        acc.update(Buffer.from([0]));
    };
    entry(dockerfilePath, DEFAULT_DOCKERFILE, undefined);
    const walk = (dir: string, relDir: string): void => {
        for (const name of fs.readdirSync(dir).sort()) {
            const rel = relDir ? `${relDir}/${name}` : name;
            const full = path.join(dir, name);
            const st = fs.lstatSync(full);
            if (st.isDirectory()) {
                // A directory excluded outright is skipped unless a negation could re-include inside it.
                if (isIgnored(rel, patterns) && !patterns.some((p) => p.negate)) continue;
                walk(full, rel);
            } else if (!isIgnored(rel, patterns)) {
                entry(full, rel, st);
            }
        }
    };
    walk(contextPath, "");
    return acc.digest("hex");
}

function hostPlatform(arch: string): string {
    const goarch: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
    return `linux/${goarch[arch] ?? arch}`;
}

// ---- docker build / login / push --------------------------------------------------------

/** The `docker build` arguments for an image. */
export function buildArgs(imageName: string, b: ResolvedBuild, build: Record<string, unknown>): string[] {
    const args = ["build", "--file", b.dockerfilePath, "--tag", imageName];
    if (typeof build.target === "string" && build.target) args.push("--target", build.target);
    if (typeof build.platform === "string" && build.platform) args.push("--platform", build.platform);
    if (typeof build.network === "string" && build.network) args.push("--network", build.network);
    for (const h of Array.isArray(build.addHosts) ? build.addHosts : []) args.push("--add-host", String(h));
    const cacheFrom = (build.cacheFrom as { images?: unknown } | undefined)?.images;
    for (const c of Array.isArray(cacheFrom) ? cacheFrom : []) if (typeof c === "string" && c) args.push("--cache-from", c);
    const bargs = (build.args ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(bargs).sort()) args.push("--build-arg", `${k}=${String(bargs[k])}`);
    args.push(b.contextPath);
    return args;
}

function tail(text: string, lines = 20): string {
    const l = text.trimEnd().split(/\r?\n/);
    return l.slice(-lines).join("\n");
}

/** The digest a push reports ("<tag>: digest: sha256:… size: N"). */
export function pushedDigest(stdout: string): string | undefined {
    const all = [...stdout.matchAll(/digest: (sha256:[0-9a-f]{64})/g)];
    return all.length ? all[all.length - 1][1] : undefined;
}

export class DockerImageProvider implements Provider {
    public readonly version = STANDIN_VERSION;
    private readonly run: CommandRunner;
    private readonly cwd: string;
    private readonly logger: Logger;
    private readonly arch: string;
    private pending: Promise<void> = Promise.resolve();

    constructor(opts: DockerProviderOptions = {}) {
        this.run = opts.run ?? runDocker;
        this.cwd = opts.cwd ?? process.cwd();
        this.logger = opts.log ?? (() => undefined);
        this.arch = opts.arch ?? process.arch;
    }

    private log(severity: Severity, urn: string, message: string, ephemeral?: boolean): void {
        const sent = this.logger(severity, urn, message, ephemeral);
        if (sent) this.pending = this.pending.then(() => sent).catch(() => undefined);
    }

    /** Waits until the engine has every diagnostic sent so far (before an operation returns). */
    private async flush(): Promise<void> {
        await this.pending;
    }

    private assertType(urn: string): void {
        const t = (urn.split("::")[2] ?? "").split("$").pop();
        if (t !== IMAGE) throw new Error(`the offline docker stand-in implements only ${IMAGE}, not ${t || urn}`);
    }

    async check(urn: string, _olds: unknown, news: Record<string, unknown>): Promise<CheckResult> {
        this.assertType(urn);
        const failures: CheckFailure[] = [];
        const inputs: Record<string, unknown> = { ...(news ?? {}) };
        for (const k of Object.keys(inputs)) {
            if (!INPUTS.includes(k)) failures.push({ property: k, reason: `unknown input ${k}; expected one of ${INPUTS.join(", ")}` });
        }
        const bop = plain(inputs.buildOnPreview);
        inputs.buildOnPreview = typeof bop === "boolean" ? bop : false;
        if (inputs.skipPush === undefined || inputs.skipPush === null) inputs.skipPush = false;
        const skipPush = plain(inputs.skipPush);
        if (known(skipPush) && typeof skipPush !== "boolean") failures.push({ property: "skipPush", reason: "skipPush must be a boolean" });

        const imageName = plain(inputs.imageName);
        if (imageName === undefined || imageName === null || imageName === "") {
            failures.push({ property: "imageName", reason: "imageName is required (repository[:tag], e.g. registry.example.com/team/app:v1)" });
        } else if (known(imageName) && typeof imageName !== "string") {
            failures.push({ property: "imageName", reason: "imageName must be a string" });
        }

        // build: defaults, Dockerfile check, context digest, default platform.
        const buildWasSecret = isSecret(inputs.build);
        const rawBuild = buildWasSecret ? (inputs.build as { value: unknown }).value : inputs.build;
        if (rawBuild !== unknownValue) {
            const build: Record<string, unknown> =
                rawBuild === undefined || rawBuild === null ? {} : typeof rawBuild === "object" && !Array.isArray(rawBuild) ? { ...(rawBuild as object) } : {};
            if (rawBuild !== undefined && rawBuild !== null && (typeof rawBuild !== "object" || Array.isArray(rawBuild))) {
                failures.push({ property: "build", reason: "build must be an object ({context, dockerfile, target, args, platform, ...})" });
            }
            for (const k of Object.keys(build)) {
                if (!BUILD_FIELDS.includes(k)) failures.push({ property: `build.${k}`, reason: `unknown build field ${k}` });
            }
            for (const k of ["context", "dockerfile", "target", "platform", "network"]) {
                const v = plain(build[k]);
                if (known(v) && typeof v !== "string") failures.push({ property: `build.${k}`, reason: `build.${k} must be a string` });
            }
            const args = plain(build.args);
            if (known(args)) {
                if (typeof args !== "object" || Array.isArray(args)) failures.push({ property: "build.args", reason: "build.args must be a map of strings" });
                else
                    for (const [k, v] of Object.entries(args as object)) {
                        if (known(v) && typeof v !== "string") failures.push({ property: `build.args.${k}`, reason: `build.args.${k} must be a string` });
                    }
            }
            const bv = plain(build.builderVersion);
            if (known(bv) && bv !== "BuilderV1" && bv !== "BuilderBuildKit") {
                failures.push({ property: "build.builderVersion", reason: 'build.builderVersion must be "BuilderV1" or "BuilderBuildKit"' });
            }
            const contextKnown = !hasUnknown(build.context);
            const dockerfileKnown = !hasUnknown(build.dockerfile);
            if (contextKnown && dockerfileKnown && failures.length === 0) {
                const b = resolveBuild(plain(build) as Record<string, unknown>, this.cwd);
                build.context = b.context;
                build.dockerfile = b.dockerfile;
                const problem = dockerfileProblem(b, this.cwd);
                if (problem) {
                    failures.push({ property: "build.dockerfile", reason: problem });
                } else if (!fs.existsSync(b.contextPath) || !fs.statSync(b.contextPath).isDirectory()) {
                    failures.push({ property: "build.context", reason: `the build context ${JSON.stringify(b.context)} is not a directory (resolved to ${b.contextPath})` });
                } else {
                    try {
                        build.contextDigest = contextDigest(b.contextPath, b.dockerfilePath);
                    } catch (err) {
                        failures.push({ property: "build.context", reason: `unable to hash the build context: ${err instanceof Error ? err.message : String(err)}` });
                    }
                }
            }
            if (build.platform === undefined || build.platform === null) {
                build.platform = hostPlatform(this.arch);
                this.log(
                    "info",
                    urn,
                    `Building your image for ${build.platform} architecture.\nTo ensure you are building for the correct platform, consider explicitly setting the \`platform\` field on ImageBuildOptions.`,
                );
            }
            inputs.build = buildWasSecret ? secret(build) : build;
        }

        // A push needs a registry: registry.server, or a fully qualified imageName.
        const registry = plain(inputs.registry) as Record<string, unknown> | undefined;
        const server = registry && typeof registry === "object" ? registry.server : undefined;
        if (skipPush !== true && known(skipPush) && typeof imageName === "string" && !hasUnknown(imageName) && !hasUnknown(server) && !server) {
            if (!registryOf(imageName)) {
                failures.push({
                    property: "imageName",
                    reason: `imageName ${JSON.stringify(imageName)} has no registry host; pushing requires a fully qualified name (e.g. docker.io/${imageName}) or registry.server`,
                });
            }
        }
        await this.flush();
        return { inputs, failures };
    }

    async diff(_id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
        this.assertType(urn);
        const oldInputs = (olds && "__inputs" in olds ? plain(olds.__inputs) : plain(olds)) as Record<string, unknown>;
        const changed: string[] = [];
        const keys = new Set([...Object.keys(oldInputs ?? {}), ...Object.keys(news ?? {})].filter((k) => INPUTS.includes(k)));
        for (const k of keys) {
            if (k === "registry") {
                // As upstream: new credentials alone do not rebuild; a new server does.
                const o = (oldInputs?.registry ?? {}) as Record<string, unknown>;
                const nRaw = news?.registry;
                const n = (plain(nRaw) ?? {}) as Record<string, unknown>;
                if (nRaw === unknownValue || hasUnknown(n.server) || !same(o.server, n.server)) changed.push(k);
            } else if (hasUnknown(news?.[k]) || !same(oldInputs?.[k], news?.[k])) {
                changed.push(k);
            }
        }
        // Never a replacement: a changed image is rebuilt and pushed again (an update).
        return { changes: changed.length > 0, replaces: [] };
    }

    async create(urn: string, inputs: Record<string, unknown>): Promise<CreateResult> {
        this.assertType(urn);
        try {
            const outs = await this.buildAndPush(urn, inputs);
            return { id: String(plain(inputs.imageName)), outs };
        } finally {
            await this.flush();
        }
    }

    async update(_id: string, urn: string, _olds: Record<string, unknown>, news: Record<string, unknown>): Promise<UpdateResult> {
        this.assertType(urn);
        try {
            return { outs: await this.buildAndPush(urn, news) };
        } finally {
            await this.flush();
        }
    }

    async read(id: string, _urn: string, props?: Record<string, unknown>): Promise<ReadResult> {
        // As upstream: no reconciliation with the daemon or the registry.
        return { id, props: props ?? {} };
    }

    async delete(): Promise<void> {
        // As upstream: tags are not deleted, locally or remotely.
    }

    /** Builds, then (unless skipPush) logs in with a throwaway config and pushes. */
    async buildAndPush(urn: string, rawInputs: Record<string, unknown>): Promise<Record<string, unknown>> {
        const inputs = plain(rawInputs) as Record<string, unknown>;
        const imageName = String(inputs.imageName);
        const build = ((inputs.build ?? {}) as Record<string, unknown>) ?? {};
        const registry = (inputs.registry ?? {}) as { server?: string; username?: string; password?: string };
        const skipPush = inputs.skipPush === true;
        const b = resolveBuild(build, this.cwd);
        const password = registry.password;
        const redact = (s: string): string => (password ? s.split(password).join("[secret]") : s);
        const progress = (line: string): void => this.log("info", urn, redact(line), true);
        const fail = (what: string, r: CommandResult): Error =>
            new Error(redact(`${what} for image ${JSON.stringify(imageName)} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout) || "(docker printed nothing)"}`));

        const env: NodeJS.ProcessEnv = { ...process.env };
        if (build.builderVersion === "BuilderV1") env.DOCKER_BUILDKIT = "0";
        this.log("info", urn, "Building the image", true);
        const built = await this.run(buildArgs(imageName, b, build), { env, onLine: progress });
        if (built.code !== 0) throw fail("docker build", built);

        const outputs: Record<string, unknown> = {
            dockerfile: b.relDockerfile,
            context: b.context,
            baseImageName: imageName,
            registryServer: registry.server ?? "",
            imageName,
            platform: build.platform,
        };

        if (skipPush) {
            // As upstream since 4.4: for a local image, repoDigest is the image ID.
            const id = await this.run(["image", "inspect", "--format", "{{.Id}}", imageName], {});
            if (id.code !== 0) throw fail("docker image inspect", id);
            outputs.repoDigest = id.stdout.trim();
        } else {
            outputs.repoDigest = await this.push(urn, imageName, registry, progress, fail);
        }
        outputs.__inputs = secret(inputs);
        return defined(outputs);
    }

    private async push(
        urn: string,
        imageName: string,
        registry: { server?: string; username?: string; password?: string },
        progress: (line: string) => void,
        fail: (what: string, r: CommandResult) => Error,
    ): Promise<string> {
        const env: NodeJS.ProcessEnv = { ...process.env };
        let tmp: string | undefined;
        try {
            if (registry.username && registry.password) {
                // A throwaway client config: the credentials never touch ~/.docker, and the
                // password goes over stdin only (never on a command line or in a log).
                tmp = fs.mkdtempSync(path.join(os.tmpdir(), "docker-standin-"));
                fs.writeFileSync(path.join(tmp, "config.json"), "{}\n", { mode: 0o600 });
                env.DOCKER_CONFIG = tmp;
                const server = authServer(registry.server, imageName);
                const login = await this.run(["login", "--username", registry.username, "--password-stdin", server], { env, input: registry.password });
                if (login.code !== 0) throw fail(`docker login to ${server}`, login);
            } else if (registry.username || registry.password) {
                this.log(
                    "warning",
                    urn,
                    registry.username ? "password was not set, although username was; using host credentials file" : "username was not set, although password was; using host credentials file",
                );
            }
            this.log("info", urn, "Pushing Image to the registry", true);
            const pushed = await this.run(["push", imageName], { env, onLine: progress });
            if (pushed.code !== 0) throw fail("docker push", pushed);
            const repo = repositoryOf(imageName);
            const digest = pushedDigest(pushed.stdout);
            if (digest) return `${repo}@${digest}`;
            const inspected = await this.run(["image", "inspect", "--format", "{{json .RepoDigests}}", imageName], { env });
            if (inspected.code === 0) {
                const digests = JSON.parse(inspected.stdout.trim() || "[]") as string[];
                const match = digests.find((d) => d.startsWith(`${repo}@`)) ?? digests[0];
                if (match) return match;
            }
            throw new Error(`docker push for image ${JSON.stringify(imageName)} reported no digest:\n${tail(pushed.stdout)}`);
        } finally {
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        }
    }
}

export function createDockerProvider(opts: DockerProviderOptions = {}): DockerImageProvider {
    return new DockerImageProvider(opts);
}

/** The engine address among the arguments the engine passes (flags first), as the SDK parses them. */
export function engineAddress(args: string[]): string | undefined {
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--logtostderr" || args[i].startsWith("-v=")) continue;
        if (args[i] === "--tracing") {
            i++;
            continue;
        }
        rest.push(args[i]);
    }
    return rest[0];
}

/** Sends diagnostics to the engine's Log endpoint (what upstream's host.Log/LogStatus do). */
function engineLogger(address: string | undefined): Logger {
    if (!address) return () => undefined;
    /* eslint-disable @typescript-eslint/no-var-requires */
    const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
    const engproto = require("@pulumi/pulumi/proto/engine_pb");
    /* eslint-enable @typescript-eslint/no-var-requires */
    const client = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
    const levels: Record<Severity, number> = {
        info: engproto.LogSeverity.INFO,
        warning: engproto.LogSeverity.WARNING,
        error: engproto.LogSeverity.ERROR,
    };
    // One message at a time, so that build output arrives in the order docker printed it.
    let last: Promise<void> = Promise.resolve();
    return (severity, urn, message, ephemeral) => {
        const req = new engproto.LogRequest();
        req.setSeverity(levels[severity]);
        req.setMessage(message);
        req.setUrn(urn);
        req.setEphemeral(ephemeral === true);
        last = last.then(() => new Promise<void>((resolve) => client.log(req, () => resolve())));
        return last;
    };
}

if (require.main === module) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { main } = require("@pulumi/pulumi/provider") as typeof import("@pulumi/pulumi/provider");
    const args = process.argv.slice(2);
    main(createDockerProvider({ log: engineLogger(engineAddress(args)) }), args).catch((err: unknown) => {
        process.stderr.write(`pulumi-resource-docker (offline stand-in): ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
    });
}
