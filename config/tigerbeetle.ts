// The TigerBeetle ledger's key.
import { snapshotSetReplicas } from "./backups";
import { byteSize, fig, image, quantity, resources } from "./kinds";
import { Context, declare, field, group, int, optionalStr, pick, section } from "./schema";
import { ClusterIdSpec, TigerBeetleConfig } from "./types";

export const TIGERBEETLE_IMAGE = "ghcr.io/tigerbeetle/tigerbeetle:0.16.68";
const MAX_CLUSTER_ID = (1n << 128n) - 1n;

const CLUSTER_ID_DEFAULT = { dev: "0", prod: "generate" };

/** A decimal 128-bit ID, or `generate` (a random one created once); 0 is for testing only. */
const clusterId = field<ClusterIdSpec>({
    default: CLUSTER_ID_DEFAULT,
    note: "generate, or a 128-bit decimal; not 0 in prod",
    read: (ctx, path, value) => {
        const { r } = ctx;
        const def = pick(CLUSTER_ID_DEFAULT, ctx.environment);
        const s = r.string(path, value, def) ?? def;
        if (s === "generate") {
            return { mode: "generate" };
        }
        if (!/^[0-9]+$/.test(s)) {
            r.fail(path, `must be "generate" or a decimal 128-bit integer, got ${JSON.stringify(s)}`, 'set it to "generate" (prod) or a decimal such as 0 (dev)');
            return { mode: "fixed", value: "0" };
        }
        const id = BigInt(s);
        if (id > MAX_CLUSTER_ID) {
            r.fail(path, `${s} is out of range: TigerBeetle cluster IDs are 128-bit (0 to 2^128-1)`, 'use "generate" or a smaller value');
        } else if (ctx.prod && id === 0n) {
            r.fail(path, "0 is reserved for testing and not allowed in prod", 'set tigerbeetle.clusterId to "generate" (a random 128-bit ID created once) or a fixed non-zero value');
        }
        return { mode: "fixed", value: id.toString() };
    },
});

export const TIGERBEETLE = declare(
    "tigerbeetle",
    "The TigerBeetle ledger",
    group({
        replicas: int({
            default: { dev: 1, prod: 3 },
            min: 1,
            max: 5,
            note: "odd, at most 5; at least 3 in prod",
            check: (ctx, path, replicas) => {
                if (replicas % 2 === 0) {
                    ctx.r.fail(path, `must be odd for a quorum, got ${replicas}`, "set tigerbeetle.replicas to 1 (dev), 3 or 5");
                } else if (ctx.prod && replicas < 3) {
                    ctx.r.fail(path, `prod needs at least 3 replicas to survive a failure, got ${replicas}`, "set tigerbeetle.replicas to 3 or 5");
                }
            },
        }),
        clusterId,
        image: image({ repo: "tigerbeetle", default: TIGERBEETLE_IMAGE }),
        storage: quantity({ default: "10Gi" }),
        cacheGrid: byteSize({ default: { dev: "256MiB", prod: "1GiB" } }),
        resources: resources({ dev: fig("250m", "1Gi", "1", "1Gi"), prod: fig("1", "4Gi", "2", "4Gi") }),
        restoreFrom: optionalStr({ unset: "none: claims start empty", note: "a snapshot set, tigerbeetle-<replicas>r-<id>; README, Runbooks" }),
    }),
);

export const TIGERBEETLE_KEYS = [TIGERBEETLE];

export function readTigerBeetle(ctx: Context, namespace: string): TigerBeetleConfig {
    const s = section(ctx, TIGERBEETLE);
    const replicas = s.read("replicas");
    return {
        namespace,
        replicas,
        clusterId: s.read("clusterId"),
        image: s.read("image"),
        storage: s.read("storage"),
        cacheGrid: s.read("cacheGrid"),
        resources: s.read("resources"),
        restoreFrom: readRestoreFrom(ctx, s.read("restoreFrom"), replicas),
    };
}

/** A restore names a set of as many snapshots as the ledger has replicas. */
function readRestoreFrom(ctx: Context, set: string | undefined, replicas: number): string | undefined {
    if (set === undefined) {
        return undefined;
    }
    const path = "tigerbeetle.restoreFrom";
    const of = snapshotSetReplicas(set);
    if (of === undefined) {
        ctx.r.fail(path, `${JSON.stringify(set)} is not a snapshot set name (tigerbeetle-<replicas>r-<id>)`, "name a set listed by `kubectl get volumesnapshots -n <ledger namespace> -L m2m.platform/snapshot-set` (README, Runbooks)");
    } else if (of !== replicas) {
        ctx.r.fail(
            path,
            `snapshot set ${set} holds ${of} replicas' data files but tigerbeetle.replicas is ${replicas}: a data file belongs to a cluster of a fixed size`,
            `restore a set taken at ${replicas} replicas, or set tigerbeetle.replicas to ${of} for the restore`,
        );
    }
    return set;
}
