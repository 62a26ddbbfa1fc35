// Values unknown during preview, as the engine presents them: the readers in policy/lib see
// @pulumi/policy's sentinels through its unknown-checking proxy without tripping it, and
// whatever single value of the compliant miniature platform is unknown, every policy still
// runs: it reports violations or not, but never "can't run".
import * as assert from "assert";
import { UNKNOWN as LIB_UNKNOWN, entries, get, isUnknown, isUnknownValueError, keys, list, podAnnotation, selects, str, tryKnown, workloadOf } from "../lib";
import { FIRST_CONTAINER, T, clone, compliantStack, mutate, named } from "./fixtures";
import { Policy, Resource, UNKNOWN, UNKNOWN_SENTINELS, UnknownValueError, loadConfig, policies, runPolicy, show, unknownCheckingProxy } from "./run";

type Path = (string | number)[];

/** Every field of `value` (containers and leaves), as paths. */
function fields(value: unknown, at: Path = []): Path[] {
    const here = at.length > 0 ? [at] : [];
    if (value === null || typeof value !== "object") {
        return here;
    }
    return [...here, ...Object.keys(value).flatMap((k) => fields((value as any)[k], [...at, Array.isArray(value) ? Number(k) : k]))];
}

function withUnknownAt(props: Record<string, any>, path: Path, sentinel: string): Record<string, any> {
    const copy = clone(props);
    let at: any = copy;
    for (const key of path.slice(0, -1)) {
        at = at[key];
    }
    at[path[path.length - 1]] = sentinel;
    return copy;
}

describe("values unknown during preview", () => {
    describe("the readers in policy/lib", () => {
        const props = unknownCheckingProxy({
            metadata: { name: "x", annotations: { "checksum/config": UNKNOWN, keep: "yes" } },
            spec: { replicas: UNKNOWN_SENTINELS.number, list: ["a", UNKNOWN], whole: UNKNOWN_SENTINELS.object },
            secret: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: UNKNOWN },
        });

        it("the proxy throws on an unknown field, on a read through it, and on copying a container that holds one", () => {
            assert.throws(() => props.spec.replicas, UnknownValueError);
            assert.throws(() => JSON.stringify(props.metadata), UnknownValueError);
            assert.throws(() => ({ ...props.metadata.annotations }), UnknownValueError);
            assert.throws(() => [...props.spec.list], UnknownValueError);
        });

        it("get(), str(), list(), keys() and entries() return UNKNOWN instead, reading only what they are asked", () => {
            assert.strictEqual(get(props, "spec", "replicas"), LIB_UNKNOWN);
            assert.strictEqual(str(get(props, "metadata", "annotations", "checksum/config")), LIB_UNKNOWN);
            assert.strictEqual(str(get(props, "metadata", "annotations", "keep")), "yes");
            assert.strictEqual(get(props, "spec", "whole", "deeper", "still"), LIB_UNKNOWN);
            assert.strictEqual(get(props, "spec", "absent", "deeper"), undefined);
            assert.deepStrictEqual(list(get(props, "spec", "list")), ["a", LIB_UNKNOWN]);
            assert.deepStrictEqual(keys(get(props, "metadata", "annotations")), ["checksum/config", "keep"]);
            assert.deepStrictEqual(entries(get(props, "metadata", "annotations")), [["checksum/config", LIB_UNKNOWN], ["keep", "yes"]]);
            assert.strictEqual(list(get(props, "spec", "whole")), LIB_UNKNOWN);
            assert.strictEqual(get(props, "secret"), LIB_UNKNOWN, "a secret whose value is unknown");
        });

        it("recognises every sentinel of @pulumi/policy, raw or through the proxy", () => {
            for (const sentinel of Object.values(UNKNOWN_SENTINELS)) {
                assert.ok(isUnknown(sentinel), sentinel);
                assert.strictEqual(get(unknownCheckingProxy({ v: sentinel }), "v"), LIB_UNKNOWN, sentinel);
            }
            assert.ok(!isUnknown("04da6b54"));
        });

        it("catches a read that still trips the proxy, by the error's class", () => {
            assert.strictEqual(tryKnown(() => JSON.stringify(props.metadata)), LIB_UNKNOWN);
            let caught: unknown;
            try {
                void props.spec.replicas;
            } catch (e) {
                caught = e;
            }
            assert.ok(isUnknownValueError(caught));
            assert.ok(!isUnknownValueError(new Error("other")));
            assert.throws(() => tryKnown(() => JSON.parse("{")), SyntaxError);
        });

        it("builds a workload whose annotations are unknown, keeping an unknown annotation present", () => {
            const deployment = compliantStack().find(named(T.deployment, "connector"))!;
            const w = workloadOf(deployment.type, unknownCheckingProxy(withUnknownAt(deployment.props, ["spec", "template", "metadata", "annotations", "prometheus.io/port"], UNKNOWN)));
            assert.ok(w);
            assert.strictEqual(podAnnotation(w, "prometheus.io/port"), LIB_UNKNOWN);
            assert.strictEqual(podAnnotation(w, "prometheus.io/scrape"), "true");
            assert.strictEqual(podAnnotation(w, "absent"), undefined);
        });

        it("matches label selectors in three values: false wins over unknown, unknown over true", () => {
            const labels = { app: "a", tier: LIB_UNKNOWN } as const;
            assert.strictEqual(selects(unknownCheckingProxy({ matchLabels: { app: "a" } }), labels), true);
            assert.strictEqual(selects(unknownCheckingProxy({ matchLabels: { app: "a", tier: "x" } }), labels), LIB_UNKNOWN);
            assert.strictEqual(selects(unknownCheckingProxy({ matchLabels: { app: "b", tier: "x" } }), labels), false);
            assert.strictEqual(selects(unknownCheckingProxy({ matchLabels: { app: UNKNOWN } }), labels), LIB_UNKNOWN);
            assert.strictEqual(selects(unknownCheckingProxy({}), LIB_UNKNOWN), true, "an empty selector selects every pod");
        });
    });

    describe("the runner, like @pulumi/policy's server", () => {
        const r = compliantStack().find(named(T.deployment, "connector"))!;
        const previewed = { ...r, props: withUnknownAt(r.props, ["spec", "template", "metadata", "annotations", "checksum/config"], UNKNOWN) };
        const naive: Policy[] = [
            { name: "copies-all-props", description: "", enforcementLevel: "mandatory", validateResource: (args) => void JSON.stringify(args.props) },
            { name: "spreads-annotations", description: "", enforcementLevel: "mandatory", validateStack: (args) => args.resources.forEach((x) => void { ...x.props.spec?.template?.metadata?.annotations }) },
        ];

        it("turns a policy's UnknownValueError into an advisory can't-run report with the server's message", async () => {
            for (const p of naive) {
                const v = await runPolicy(p, [previewed], loadConfig("prod"));
                assert.deepStrictEqual(
                    v.map((x) => [x.level, x.cantRun, x.message]),
                    [["advisory", true, `can't run policy '${p.name}' from policy pack 'm2m-platform@v0.1.0' during preview: string value at .spec.template.metadata.annotations.checksum/config can't be known during preview`]],
                );
            }
        });

        it("runs the same policies without a report when nothing is unknown", async () => {
            for (const p of naive) {
                assert.deepStrictEqual(await runPolicy(p, [r], loadConfig("prod")), []);
            }
        });
    });

    describe("no policy fails to run, whatever single value is unknown", function () {
        this.timeout(120000);

        it("for each field of the compliant platform in turn (the string sentinel the CLI sends)", async () => {
            const base = compliantStack();
            const config = loadConfig("prod");
            const resourcePolicies = policies.filter((p) => !("validateStack" in p));
            const stackPolicies = policies.filter((p) => "validateStack" in p);
            const failures: string[] = [];
            let cases = 0;
            for (let i = 0; i < base.length; i++) {
                for (const path of fields(base[i].props)) {
                    cases++;
                    const r: Resource = { ...base[i], props: withUnknownAt(base[i].props, path, UNKNOWN) };
                    const stack = base.map((x, j) => (j === i ? r : x));
                    for (const p of resourcePolicies) {
                        failures.push(...(await runPolicy(p, [r], config)).filter((v) => v.cantRun).map((v) => `${r.type} ${path.join(".")}: ${v.message}`));
                    }
                    for (const p of stackPolicies) {
                        failures.push(...(await runPolicy(p, stack, config)).filter((v) => v.cantRun).map((v) => `${r.type} ${path.join(".")}: ${v.message}`));
                    }
                }
            }
            assert.ok(cases > 1000, `${cases} cases`);
            assert.deepStrictEqual(failures.slice(0, 20), []);
        });

        it("with each of the typed sentinels in a container's place", async () => {
            for (const sentinel of Object.values(UNKNOWN_SENTINELS)) {
                for (const path of [[...FIRST_CONTAINER], [...FIRST_CONTAINER, "securityContext"], ["spec", "template", "spec"], ["spec", "replicas"], ["metadata"]]) {
                    const r = mutate(compliantStack(), named(T.deployment, "connector"), (p) => Object.assign(p, withUnknownAt(p, path, sentinel)));
                    for (const p of policies) {
                        const v = (await runPolicy(p, r, loadConfig("prod"))).filter((x) => x.cantRun);
                        assert.deepStrictEqual(v, [], `${sentinel} at ${path.join(".")}:\n${show(v)}`);
                    }
                }
            }
        });
    });
});
