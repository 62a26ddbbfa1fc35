// After `tsc` (outDir bin/): makes bin/ a complete policy pack of JavaScript, so the engine
// loads it without compiling TypeScript first (`--policy-pack policy/bin`). bin/ sits inside
// the pack, so its requires resolve in the pack's node_modules.
const fs = require("fs");
const path = require("path");

const bin = path.join(__dirname, "bin");
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));
const { scripts: _scripts, devDependencies: _dev, files: _files, ...rest } = pkg;
fs.writeFileSync(path.join(bin, "package.json"), JSON.stringify({ ...rest, main: "index.js" }, null, 2) + "\n");
fs.copyFileSync(path.join(__dirname, "PulumiPolicy.yaml"), path.join(bin, "PulumiPolicy.yaml"));
fs.cpSync(path.join(__dirname, "config"), path.join(bin, "config"), { recursive: true });
console.log(`compiled policy pack in ${bin}`);
