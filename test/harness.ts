// Runs the platform under Pulumi mocks and captures what it registers: every resource's
// type, name, resolved inputs, which input paths were secrets, and whether it is protected.
// In preview mode the mocks run as `pulumi preview` does: provider-computed outputs (random
// results, pushed image digests) are unknown to the program, and so is everything derived
// from them; the captured props carry the engine's unknown sentinel at exactly those derived
// paths (the computed outputs themselves are absent, as in the engine's view), and each
// resource records the resources its inputs depend on, as the engine tells stack policies.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import { createHash } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ConfigError, PROJECT, PlatformConfig, TenantStackConfig, parseConfig, parseStack } from "../config";
import { platform } from "../platform";
import { tenantStack } from "../tenant";

export type Props = Record<string, any>;

export interface CapturedResource {
    type: string;
    name: string;
    urn: string;
    props: Props;
    /** Dotted paths of the inputs that arrived as secrets. */
    secretPaths: string[];
    /** Dotted paths that are unknown (preview only): props hold UNKNOWN there. */
    unknownPaths: string[];
    /** URNs (as `urn` above) of the resources this one's inputs depend on. */
    dependencies: string[];
    /** Per top-level input, the URNs of the resources it depends on. */
    propertyDependencies: Record<string, string[]>;
    /** The harness URN of the resource's parent (undefined for the stack's own children). */
    parent?: string;
    protect?: boolean;
    custom: boolean;
}

/** The string the engine sends for a value unknown during preview (what policies receive). */
export const UNKNOWN = unknownValue;

export interface CapturedStack {
    config: PlatformConfig;
    resources: CapturedResource[];
    outputs: Record<string, unknown>;
    /** Which outputs resolved as Pulumi secrets. */
    secretOutputs: Set<string>;
}

/** Secret config the prod stack would hold encrypted; tests set them as secrets. */
export const PROD_SECRETS: Record<string, string> = {
    connectorEvmPrivateKey: `0x${"ab".repeat(32)}`,
    connectorM2mTokenAddress: `0x${"12".repeat(20)}`,
    connectorTokenNetworkRegistry: `0x${"34".repeat(20)}`,
    registryPassword: "registry-password-for-tests",
};

const ROOT = path.resolve(__dirname, "..");

/** The `config:` of Pulumi.<stack>.yaml, keyed without the project prefix. */
export function stackFile(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        values[key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key] = value;
    }
    return values;
}

/** Merges b over a: objects recursively, arrays and scalars replaced, `undefined` deletes. */
export function deepMerge(a: unknown, b: unknown): unknown {
    if (b === undefined) {
        return a;
    }
    if (isPlainObject(a) && isPlainObject(b)) {
        const out: Record<string, unknown> = { ...a };
        for (const [k, v] of Object.entries(b)) {
            if (v === undefined) {
                delete out[k];
            } else {
                out[k] = deepMerge(out[k], v);
            }
        }
        return out;
    }
    return b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface StackOptions {
    /** Secret config values (set as secrets); defaults to PROD_SECRETS for prod. */
    secrets?: Record<string, string>;
    /** Keys to drop from the stack file before merging overrides. */
    without?: string[];
    /** Run as `pulumi preview`: provider-computed outputs are unknown. */
    preview?: boolean;
    /** The outputs of the stack's last update, as a StackReference to the stack reads them. */
    lastOutputs?: Record<string, unknown>;
}

/**
 * Where prod's operator-supplied credentials live when they come from a vault: `secrets` for
 * `secrets.source: externalSecrets` against the ClusterSecretStore vault-prod, each credential
 * mapped to a remote key (`extra` adds or overrides, e.g. the database URL's).
 */
export function vaultSecrets(extra: Record<string, unknown> = {}) {
    return {
        source: "externalSecrets",
        store: "vault-prod",
        remoteKeys: {
            registryPassword: "m2m/prod/registry-password",
            connectorEvmPrivateKey: { key: "m2m/prod/connector", property: "evmPrivateKey" },
            connectorM2mTokenAddress: { key: "m2m/prod/connector", property: "m2mTokenAddress" },
            connectorTokenNetworkRegistry: { key: "m2m/prod/connector", property: "tokenNetworkRegistry" },
            ...extra,
        },
    };
}

/** The raw values a stack would hold: its file, minus `without`, plus overrides and secrets. */
export function stackValues(stack: string, overrides: Record<string, unknown> = {}, opts: StackOptions = {}) {
    const file = stackFile(stack);
    for (const key of opts.without ?? []) {
        delete file[key];
    }
    const secrets = opts.secrets ?? (stack === "prod" ? PROD_SECRETS : {});
    const values = deepMerge(deepMerge(file, overrides), secrets) as Record<string, unknown>;
    return { values, secretKeys: new Set(Object.keys(secrets)) };
}

/**
 * Asserts that the stack's config (with overrides) is rejected before any resource: a
 * ConfigError (a RunError, which the engine prints without a stack trace) with a problem
 * that names `key`, matches `message` and says how to fix it.
 */
export function rejectsConfig(stack: string, overrides: Record<string, unknown>, key: string, message: RegExp, opts: StackOptions = {}): void {
    assert.throws(
        () => stackConfig(stack, overrides, opts),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError && err instanceof pulumi.RunError, `expected a ConfigError, got ${err}`);
            const problem = err.problems.find((p) => p.startsWith(`${PROJECT}:${key}:`));
            assert.ok(problem, `no problem names ${key}; got:\n${err.message}`);
            assert.match(problem, message);
            assert.match(problem, /Fix: /, "every problem says how to fix it");
            return true;
        },
    );
}

/** Validates a stack's config as `pulumi up` would, with overrides. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}, opts: StackOptions = {}): PlatformConfig {
    const { values, secretKeys } = stackValues(stack, overrides, opts);
    return parseConfig({ values, secretKeys, stack });
}

/** What the SDK sent the monitor with a registration: the dependency URNs (the mock monitor's). */
interface WireDependencies {
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    parent: string;
}

class Recorder implements pulumi.runtime.Mocks {
    readonly resources: CapturedResource[] = [];
    /** The mock monitor's URN of each recorded resource → its harness URN. */
    private readonly urns = new Map<string, string>();
    private readonly wire = new Map<CapturedResource, WireDependencies>();
    private pending: WireDependencies | undefined;

    constructor(
        private readonly stack: string,
        private readonly preview: boolean,
        private readonly lastOutputs: Record<string, unknown> = {},
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const secretPaths: string[] = [];
        const unknownPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretPaths, unknownPaths) as Props;
        const computed =
            args.type === "pulumi:pulumi:StackReference"
                ? (referencedStack(inputs.name) ?? { outputs: structuredClone(this.lastOutputs) })
                : computedOutputs(args.type, args.name, inputs, this.preview);
        const state = { ...inputs, ...computed };
        // The program gets the provider-computed outputs, unknown in a preview, so that what it
        // derives from them is unknown; the engine's view of the resource (what stack policies
        // see) holds no output the provider has not computed yet: they are absent there.
        const captured: CapturedResource = {
            type: args.type,
            name: args.name,
            urn: `urn:pulumi:${this.stack}::${PROJECT}::${args.type}::${args.name}`,
            props: this.preview ? { ...inputs, ...withoutUnknowns(computed) } : state,
            secretPaths,
            unknownPaths,
            dependencies: [],
            propertyDependencies: {},
            custom: args.custom ?? true,
        };
        this.resources.push(captured);
        if (this.pending) {
            this.wire.set(captured, this.pending);
            this.pending = undefined;
        }
        return { id: args.custom === false ? undefined : this.preview ? undefined : `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
    }

    /**
     * Wraps the mock monitor's registerResource to read the dependencies the SDK sends with
     * each registration (MockResourceArgs does not carry them) and the URN it answers with.
     */
    listen(monitor: { registerResource(req: any, callback: (err: any, resp: any) => void): Promise<void> }) {
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            const propertyDependencies: Record<string, string[]> = {};
            req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => {
                propertyDependencies[key] = deps.getUrnsList();
            });
            this.pending = { dependencies: req.getDependenciesList(), propertyDependencies, parent: req.getParent() };
            const before = this.resources.length;
            let recorded: CapturedResource | undefined;
            // The monitor calls newResource synchronously, before its first await, so the
            // resource it records is known when register returns; the answer comes later.
            const done = register(req, (err, resp) => {
                if (resp && recorded) {
                    this.urns.set(resp.getUrn(), recorded.urn);
                }
                callback(err, resp);
            });
            recorded = this.resources.length > before ? this.resources[this.resources.length - 1] : undefined;
            this.pending = undefined;
            return done;
        };
    }

    /** Translates the wire dependencies into harness URNs, once every registration has answered. */
    resolveDependencies() {
        const urn = (u: string) => this.urns.get(u);
        for (const [r, w] of this.wire) {
            r.dependencies = [...new Set(w.dependencies.map(urn).filter((u): u is string => u !== undefined))];
            r.parent = urn(w.parent);
            r.propertyDependencies = Object.fromEntries(
                Object.entries(w.propertyDependencies).map(([k, deps]) => [k, [...new Set(deps.map(urn).filter((u): u is string => u !== undefined))]]),
            );
        }
    }
}

/**
 * Deterministic stand-ins for provider-computed outputs. In a preview the providers have not
 * run yet, so these are unknown, as `pulumi preview` reports them. A mock marks an output
 * unknown by returning the SDK's unknown sentinel (`unknownValue` of runtime/rpc): the mock
 * monitor passes the state on as it is, and the SDK, in a dry run, reads the sentinel back as
 * an unknown output, so every apply over it stays unknown and its result reaches the
 * dependent resources' inputs as the sentinel again.
 */
function computedOutputs(type: string, name: string, inputs: Props, preview: boolean): Props {
    const digest = (salt: string) => createHash("sha256").update(`${name}/${salt}`).digest();
    switch (type) {
        case "random:index/randomId:RandomId": {
            if (preview) {
                return { hex: UNKNOWN, dec: UNKNOWN, b64Std: UNKNOWN, b64Url: UNKNOWN };
            }
            const bytes = digest("id").subarray(0, inputs.byteLength ?? 8);
            return { hex: bytes.toString("hex"), dec: BigInt(`0x${bytes.toString("hex")}`).toString(10), b64Std: bytes.toString("base64") };
        }
        case "random:index/randomBytes:RandomBytes": {
            if (preview) {
                return { base64: UNKNOWN, hex: UNKNOWN };
            }
            const bytes = Buffer.concat([digest("a"), digest("b")]).subarray(0, inputs.length);
            return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
        }
        case "random:index/randomPassword:RandomPassword":
            return preview ? { result: UNKNOWN, bcryptHash: UNKNOWN } : { result: digest("password").toString("hex").slice(0, inputs.length) };
        case "docker:index/image:Image": {
            if (preview) {
                return { repoDigest: UNKNOWN };
            }
            const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
            return { repoDigest: `${repo}@sha256:${digest("image").toString("hex")}` };
        }
        case "kubernetes:core/v1:Service": {
            // The API server allocates a ClusterIP when the Service is created. The provider's
            // preview of a create shows the spec as given, without one (pulumi-kubernetes 4.25,
            // seen on the real engine): known, but with no clusterIP.
            if (inputs.spec?.clusterIP === "None" || preview) {
                return {};
            }
            const ip = digest("clusterIP");
            return { spec: { ...inputs.spec, clusterIP: `10.96.${ip[0]}.${ip[1]}` } };
        }
        default:
            return {};
    }
}

/** What a preview's engine holds of computed outputs: the known ones (unknowns are absent). */
function withoutUnknowns(value: Props): Props {
    const out: Props = {};
    for (const [k, v] of Object.entries(value)) {
        if (v === UNKNOWN) {
            continue;
        }
        out[k] = isPlainObject(v) ? withoutUnknowns(v as Props) : v;
    }
    return out;
}

/** Unwraps secrets (recording their paths) and turns unknowns into the engine's sentinel (recording theirs). */
function unwrapSecrets(value: unknown, at: string, secretPaths: string[], unknownPaths: string[]): unknown {
    if (pulumi.isUnknown(value) || value === UNKNOWN) {
        unknownPaths.push(at);
        return UNKNOWN;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, secretPaths, unknownPaths));
    }
    if (isPlainObject(value)) {
        if (value[specialSigKey] === specialSecretSig) {
            secretPaths.push(at);
            return unwrapSecrets(value.value, at, [], unknownPaths);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, secretPaths, unknownPaths)]));
    }
    return value;
}

let runs = 0;

/** Each capture the suite asked for, by its arguments: the program is run once per distinct stack. */
const captures = new Map<string, Promise<CapturedStack>>();

/**
 * Runs the platform for `stack` (+ overrides) under mocks and returns what it registered.
 * The same arguments run the program once per suite (it is deterministic under the mocks):
 * each caller gets its own copy of the resources and outputs, so no spec sees another's edits.
 */
export async function captureStack(stack: string, overrides: Record<string, unknown> = {}, opts: StackOptions = {}): Promise<CapturedStack> {
    const key = JSON.stringify([stack, overrides, opts]);
    let capture = captures.get(key);
    if (!capture) {
        capture = captureConfig(stackConfig(stack, overrides, opts), { preview: opts.preview, lastOutputs: opts.lastOutputs });
        captures.set(key, capture);
    }
    const c = await capture;
    return { config: c.config, resources: structuredClone(c.resources), outputs: structuredClone(c.outputs), secretOutputs: new Set(c.secretOutputs) };
}

/** Runs the platform for `stack` as `pulumi preview` would: provider-computed values unknown. */
export async function capturePreview(stack: string, overrides: Record<string, unknown> = {}, opts: StackOptions = {}): Promise<CapturedStack> {
    return captureStack(stack, overrides, { ...opts, preview: true });
}

export async function captureConfig(config: PlatformConfig, opts: { preview?: boolean; lastOutputs?: Record<string, unknown> } = {}): Promise<CapturedStack> {
    const stackName = `${config.stack}-${++runs}`;
    const preview = opts.preview ?? false;
    const recorder = new Recorder(stackName, preview, opts.lastOutputs);
    await pulumi.runtime.setMocks(recorder, PROJECT, stackName, preview, "organization");
    recorder.listen(getMonitor() as any);
    const protectedNames = new Set<string>();
    const outputs = platform(config, {
        transformations: [
            (args) => {
                if (args.opts.protect) {
                    protectedNames.add(args.name);
                }
                return undefined;
            },
        ],
    });
    const { resolved, secretOutputs } = await resolveOutputs(outputs as unknown as Record<string, unknown>, preview);
    await settle(recorder);
    recorder.resolveDependencies();
    for (const r of recorder.resources) {
        r.protect = protectedNames.has(r.name);
    }
    return { config, resources: recorder.resources, outputs: resolved, secretOutputs };
}

/** A stack's outputs as the engine records them (unknown in a preview where not yet known), and which are secrets. */
async function resolveOutputs(outputs: Record<string, unknown>, preview: boolean): Promise<{ resolved: Record<string, unknown>; secretOutputs: Set<string> }> {
    const resolved: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [key, value] of Object.entries(outputs)) {
        if (pulumi.Output.isInstance(value)) {
            resolved[key] = preview ? await previewValueOf(value) : await promiseOf(value);
            if (await pulumi.isSecret(value)) {
                secretOutputs.add(key);
            }
        } else {
            resolved[key] = value;
        }
    }
    return { resolved, secretOutputs };
}

/** The stacks a capture's StackReferences read, by full name (`organization/<project>/<stack>`): their outputs, and which are secret. */
const referencedStacks = new Map<string, { outputs: Record<string, unknown>; secretOutputNames: string[] }>();

/** What the engine reads for a StackReference: the stack's outputs; none for a stack that does not exist. */
function referencedStack(name: string): Props | undefined {
    const s = referencedStacks.get(name);
    return s && { outputs: structuredClone(s.outputs), secretOutputNames: [...s.secretOutputNames] };
}

/** A tenant stack's capture: its own config (before the platform stack is read) and what it registered. */
export type CapturedTenant = Omit<CapturedStack, "config"> & { config: TenantStackConfig };

/** The platform stack a tenant capture reads: its name and outputs (e.g. a captured platform stack's); absent, it does not exist. */
export interface ReferencedPlatform {
    stack: string;
    outputs: Record<string, unknown>;
    secretOutputNames?: string[];
}

/**
 * Runs a tenant stack (`values` as its stack file holds them, stackKind tenant) under mocks,
 * its StackReference reading `platform`, and returns what it registered; rejects with the
 * program's ConfigError as `pulumi up` would fail.
 */
export async function captureTenant(stack: string, values: Record<string, unknown>, platform?: ReferencedPlatform, opts: { preview?: boolean } = {}): Promise<CapturedTenant> {
    const parsed = parseStack({ values, secretKeys: new Set(), stack });
    if (parsed.kind !== "tenant") {
        throw new Error(`${stack} is not a tenant stack (stackKind: tenant)`);
    }
    const stackName = `${stack}-${++runs}`;
    const preview = opts.preview ?? false;
    const recorder = new Recorder(stackName, preview);
    await pulumi.runtime.setMocks(recorder, PROJECT, stackName, preview, "organization");
    recorder.listen(getMonitor() as any);
    referencedStacks.clear();
    if (platform) {
        referencedStacks.set(`organization/${PROJECT}/${platform.stack}`, { outputs: platform.outputs, secretOutputNames: platform.secretOutputNames ?? [] });
    }
    try {
        const outputs = await tenantStack(parsed.config);
        const { resolved, secretOutputs } = await resolveOutputs(outputs as unknown as Record<string, unknown>, preview);
        await settle(recorder);
        recorder.resolveDependencies();
        return { config: parsed.config, resources: recorder.resources, outputs: resolved, secretOutputs };
    } finally {
        referencedStacks.clear();
    }
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** An output's value in a preview, UNKNOWN when the engine would not know it yet. */
async function previewValueOf<T>(output: pulumi.Output<T>): Promise<T | typeof UNKNOWN> {
    const o = output as unknown as { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<T> };
    const known = await o.isKnown;
    const value = await o.promise(true);
    // An apply over an unknown value never runs: its value is undefined, not partly known.
    return !known && value === undefined ? UNKNOWN : (unwrapSecrets(value, "", [], []) as T);
}

/** Waits until no further resource registrations arrive. */
async function settle(recorder: Recorder) {
    let last = -1;
    let stable = 0;
    while (stable < 3) {
        await new Promise((r) => setTimeout(r, 10));
        stable = recorder.resources.length === last ? stable + 1 : 0;
        last = recorder.resources.length;
    }
}

// ---------------------------------------------------------------------------------------
// Queries over a captured stack

const KIND_TYPES: Record<string, string> = {
    Namespace: "kubernetes:core/v1:Namespace",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    Secret: "kubernetes:core/v1:Secret",
    Service: "kubernetes:core/v1:Service",
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    CronJob: "kubernetes:batch/v1:CronJob",
    Job: "kubernetes:batch/v1:Job",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    Certificate: "kubernetes:cert-manager.io/v1:Certificate",
    PrometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    ExternalSecret: "kubernetes:external-secrets.io/v1:ExternalSecret",
    Schedule: "kubernetes:velero.io/v1:Schedule",
    VolumeSnapshot: "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot",
    PersistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
    RandomId: "random:index/randomId:RandomId",
    RandomBytes: "random:index/randomBytes:RandomBytes",
    RandomPassword: "random:index/randomPassword:RandomPassword",
    Image: "docker:index/image:Image",
};

export function typeOf(kind: string): string {
    const t = KIND_TYPES[kind];
    if (!t) {
        throw new Error(`unknown kind ${kind}`);
    }
    return t;
}

export function ofKind(stack: Pick<CapturedStack, "resources">, kind: string): CapturedResource[] {
    return stack.resources.filter((r) => r.type === typeOf(kind));
}

/** The one resource of `kind` with metadata.name `name` (and namespace, when given). */
export function find(stack: Pick<CapturedStack, "resources">, kind: string, name: string, namespace?: string): CapturedResource {
    const found = ofKind(stack, kind).filter(
        (r) => r.props.metadata?.name === name && (namespace === undefined || r.props.metadata?.namespace === namespace),
    );
    if (found.length !== 1) {
        throw new Error(`expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}`);
    }
    return found[0];
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet"];

export function workloads(stack: Pick<CapturedStack, "resources">): CapturedResource[] {
    return WORKLOAD_KINDS.flatMap((k) => ofKind(stack, k));
}

export function podSpec(workload: CapturedResource): Props {
    return workload.props.spec.template.spec;
}

export function containerOf(workload: CapturedResource, name: string): Props {
    const c = podSpec(workload).containers.find((x: Props) => x.name === name);
    if (!c) {
        throw new Error(`no container ${name} in ${workload.props.metadata.name}`);
    }
    return c;
}

export function envValue(container: Props, name: string): unknown {
    return container.env?.find((e: Props) => e.name === name)?.value;
}

/** `kind namespace/name` for assertion messages. */
export function label(r: CapturedResource): string {
    return `${r.type.split(":").pop()} ${r.props.metadata?.namespace ?? "-"}/${r.props.metadata?.name ?? r.name}`;
}

/** Whether the input at dotted `path` travelled as a secret (itself or an enclosing object). */
export function isSecretAt(r: CapturedResource, path: string): boolean {
    return r.secretPaths.some((p) => p === "" || path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}
