// promtool for the suites of test/rules: where it is, how to run it, and what to say when
// it is missing (scripts/cluster-toolchain.sh promtool builds and caches it).
import { spawnSync } from "child_process";

const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const HOW_TO_GET_IT =
    `promtool not found (ran \`${PROMTOOL} --version\`). Build and cache it, then put it on PATH:\n` +
    '  scripts/cluster-toolchain.sh promtool && eval "$(scripts/cluster-toolchain.sh print-env)"\n' +
    "(cmd/promtool of the Go module github.com/prometheus/prometheus, a few minutes and ~3 GB of memory cold), or set PROMTOOL=/path/to/promtool.";

export function promtool(args: string[], cwd: string): { status: number | null; output: string } {
    const r = spawnSync(PROMTOOL, args, { cwd, encoding: "utf8", timeout: 60000 });
    if (r.error) {
        throw new Error(`${HOW_TO_GET_IT}\n${r.error.message}`);
    }
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Fails, saying how to get promtool, unless `promtool --version` runs. */
export function requirePromtool(): void {
    const version = spawnSync(PROMTOOL, ["--version"], { encoding: "utf8" });
    if (version.error || version.status !== 0) {
        throw new Error(`${HOW_TO_GET_IT}\n${version.error?.message ?? version.stderr}`);
    }
}
