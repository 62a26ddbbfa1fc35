// kubectl against the cluster KUBECONFIG names ($KUBECTL, else kubectl on PATH), for the
// cluster specs.
import * as assert from "assert";
import { execFileSync } from "child_process";

const KUBECTL = process.env.KUBECTL ?? "kubectl";

export function kubectl(args: string[], input?: string): string {
    try {
        return execFileSync(KUBECTL, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 300000 });
    } catch (err) {
        const e = err as { stderr?: string; stdout?: string; message: string };
        throw new Error(`kubectl ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`);
    }
}

export function getJson(args: string[]): any {
    return JSON.parse(kubectl([...args, "-o", "json"]));
}

export async function eventually(what: string, check: () => string | undefined, seconds = 120): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let problem: string | undefined;
    while (Date.now() < deadline) {
        problem = check();
        if (problem === undefined) {
            return;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    assert.fail(`${what} after ${seconds}s: ${problem}`);
}
