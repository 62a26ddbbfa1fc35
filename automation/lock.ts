// The engine's refusal to run an update on a stack another update holds. On the file and S3
// backends the engine takes a lock per stack (a file under .pulumi/locks/ in the backend)
// for the whole operation: a second `up`, `destroy` or `refresh` of that stack is refused
// at once, before the program runs, and changes nothing.

/** One lock the refusal names: where it is, and who holds it. */
export interface LockHolder {
    lock: string;
    holder: string;
}

const LOCKED = /the stack is currently locked by \d+ lock\(s\)/;
const HOLDER = /^\s*(\S+\.json\S*): created by (.+?)\s*$/gm;

/** The locks an engine refusal names, or undefined when the error is not a lock refusal. */
export function lockHolders(text: string): LockHolder[] | undefined {
    if (!LOCKED.test(text)) {
        return undefined;
    }
    // The Automation API's error repeats the CLI's output: each lock once, named by its
    // object without the backend URL's query (endpoint and options, never credentials).
    const seen = new Map<string, LockHolder>();
    for (const m of text.matchAll(HOLDER)) {
        const lock = m[1].split("?")[0];
        seen.set(lock, { lock, holder: m[2] });
    }
    return [...seen.values()];
}

/** The driver's message for a lock refusal: what holds the stack, and the fix. */
export function lockRefusal(err: unknown, stack: string): string | undefined {
    const holders = lockHolders(err instanceof Error ? err.message : String(err));
    if (!holders) {
        return undefined;
    }
    const by = holders.length ? holders.map((h) => `${h.holder}, lock ${h.lock}`).join("; ") : "a lock the engine did not describe";
    return (
        `stack ${stack} is locked by another update (${by}); nothing was changed. ` +
        `Wait for that update to finish and run again. If its process died, ` +
        `\`npm run deploy -- cancel --stack ${stack}\` removes the lock, then ` +
        `\`npm run deploy -- refresh --stack ${stack} --clear-pending-creates\` (README: "An up that was interrupted").`
    );
}
