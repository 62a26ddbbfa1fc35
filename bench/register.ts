// The unit layer: how long the program takes to register a stack under the harness's mocks
// (test/harness.ts captureStack), in a fresh Node.js process as each spec file's first
// capture would be:   ts-node bench/register.ts <stack> [tenants]
// Prints {seconds, resources}: the capture itself, after the modules are loaded.
import { performance } from "perf_hooks";
import { captureStack } from "../test/harness";
import { tenantNames } from "./tenants";

async function main() {
    const [stack, tenants] = process.argv.slice(2);
    const overrides = tenants ? { agency: { tenants: tenantNames(Number(tenants)) } } : {};
    const t0 = performance.now();
    const captured = await captureStack(stack, overrides);
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ seconds, resources: captured.resources.length }));
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err instanceof Error ? (err.stack ?? err.message) : err);
        process.exit(1);
    },
);
