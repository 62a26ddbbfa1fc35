// The order an installation's stacks run in: the platform stack first, then its tenant
// stacks in parallel, at most `concurrency` at once (destroy: the tenant stacks first, then
// the platform). A tenant stack that fails stops no other; when the platform stack's update
// fails, its tenant stacks are not run, since they read what it exports.
import type { Operation } from "./options";

/** One stack's outcome, as the summary reports it. */
export interface StackOutcome {
    stack: string;
    /** false: it failed (engine error or mandatory violation). */
    ok: boolean;
    /** Not run, and why (the platform stack failed). */
    skipped?: string;
}

/** Runs `run` over `items`, at most `limit` at once, and returns the results in the items' order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await run(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

export interface FanOut<R extends StackOutcome> {
    operation: Operation;
    platform: string;
    /** Whether the platform stack runs too (a destroy of named tenant stacks leaves it alone). */
    withPlatform: boolean;
    tenantStacks: string[];
    concurrency: number;
    /** Runs one stack's operation; never rejects (a failure is an outcome). */
    run(stack: string): Promise<R>;
    /** The outcome of a tenant stack not run: `reason` says why. */
    skip(stack: string, reason: string): R;
}

/** Runs the installation's stacks in their order: the platform's outcome first, then the tenant stacks' in the order given. */
export async function fanOut<R extends StackOutcome>(f: FanOut<R>): Promise<R[]> {
    const tenants = () => inParallel(f.tenantStacks, f.concurrency, (s) => f.run(s));
    if (f.operation === "destroy") {
        const destroyed = await tenants();
        return f.withPlatform ? [await f.run(f.platform), ...destroyed] : destroyed;
    }
    if (!f.withPlatform) {
        return tenants();
    }
    const platform = await f.run(f.platform);
    // An update the platform did not complete leaves its outputs as they were: the tenant
    // stacks would read the old ones. A preview changes nothing, so theirs still run.
    if (!platform.ok && f.operation !== "preview" && f.operation !== "drift") {
        return [platform, ...f.tenantStacks.map((s) => f.skip(s, `not run: platform stack ${f.platform} failed`))];
    }
    return [platform, ...(await tenants())];
}
