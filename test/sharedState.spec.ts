import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { lockHolders, lockRefusal } from "../automation/lock";

const ROOT = path.resolve(__dirname, "..");

/** What the engine says (Pulumi 3.248, stderr of the refused CLI call) when another update holds the stack. */
const REFUSAL = [
    "code: 255",
    " stdout: ",
    " stderr: error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
    "  s3://m2m-state/.pulumi/locks/organization/m2m-platform/it-s3/5b9e0f7e-2d61-4f0e-9c55-0a4b7c1d2e3f.json?disable_https=true&endpoint=http%3A%2F%2F127.0.0.1%3A8333&region=us-east-1&s3ForcePathStyle=true: created by root@ci-runner (pid 4242) at 2026-12-01T14:40:12Z",
    "",
].join("\n");
/** The Automation API's error carries the CLI's output more than once. */
const REPEATED = `${REFUSAL}\n${REFUSAL}`;

describe("shared state: every stack of an installation on one S3 bucket", () => {
    it("the workflow hands the driver the backend, its credentials and the passphrase from the repository's secrets", () => {
        const wf = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8")) as { env: Record<string, string> };
        for (const name of ["PULUMI_BACKEND_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PULUMI_CONFIG_PASSPHRASE"]) {
            assert.strictEqual(wf.env[name], `\${{ secrets.${name} }}`, name);
        }
    });
});

describe("deploy driver: a stack another update holds", () => {
    it("reads each lock the engine names once, by its object, with its holder", () => {
        assert.deepStrictEqual(lockHolders(REPEATED), [
            {
                lock: "s3://m2m-state/.pulumi/locks/organization/m2m-platform/it-s3/5b9e0f7e-2d61-4f0e-9c55-0a4b7c1d2e3f.json",
                holder: "root@ci-runner (pid 4242) at 2026-12-01T14:40:12Z",
            },
        ]);
    });

    it("says the stack is locked, by whom, that nothing changed, and both fixes: wait, or cancel if the holder died", () => {
        const message = lockRefusal(new Error(REPEATED), "it-s3");
        assert.ok(message);
        assert.match(message, /^stack it-s3 is locked by another update \(root@ci-runner \(pid 4242\) at 2026-12-01T14:40:12Z, lock s3:\/\/m2m-state\/\.pulumi\/locks\/organization\/m2m-platform\/it-s3\/5b9e0f7e-2d61-4f0e-9c55-0a4b7c1d2e3f\.json\); nothing was changed\./);
        assert.match(message, /Wait for that update to finish and run again\./);
        assert.match(message, /If its process died, `npm run deploy -- cancel --stack it-s3` removes the lock/);
    });

    it("leaves every other engine error to the driver's usual report", () => {
        assert.strictEqual(lockHolders("error: update failed"), undefined);
        assert.strictEqual(lockRefusal(new Error("error: the stack it-s3 does not exist"), "it-s3"), undefined);
    });
});
