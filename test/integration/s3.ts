// A real S3 server for the shared-state specs: SeaweedFS on loopback through
// scripts/s3-server.sh (state in a temp folder), and a signed client for what the specs
// read from the bucket. No mock: the engine talks S3 to it as it would to any S3 service.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, run } from "./driver";

const SCRIPT = path.join(ROOT, "scripts/s3-server.sh");
const HOW = "build weed with `scripts/cluster-toolchain.sh seaweedfs` (5-11 min on 2 cores, then cached; `all` includes it) and " +
    'put it where the specs find it: eval "$(scripts/cluster-toolchain.sh print-env)" (exports WEED)';

export class S3Server {
    /** The exports `s3-server.sh up` printed: PULUMI_BACKEND_URL, the credentials, the endpoint and bucket. */
    readonly exports: Record<string, string>;

    private constructor(
        private readonly dir: string,
        output: string,
    ) {
        this.exports = Object.fromEntries([...output.matchAll(/^export (\w+)="(.*)"$/gm)].map((m) => [m[1], m[2]]));
    }

    /** Starts the server with a bucket; fails, saying how to get weed, when it cannot. */
    static start(): S3Server {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-it-s3-"));
        const r = run(SCRIPT, ["up"], { ...process.env, S3_SERVER_DIR: dir });
        if (r.status !== 0) {
            fs.rmSync(dir, { recursive: true, force: true });
            throw new Error(`the S3 server did not start:\n${r.stderr}\nFix: ${HOW}`);
        }
        return new S3Server(dir, r.stdout);
    }

    get backendUrl(): string {
        return this.exports.PULUMI_BACKEND_URL;
    }

    /** The credentials the engine signs its requests with. */
    get credentials(): Record<string, string> {
        return { AWS_ACCESS_KEY_ID: this.exports.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: this.exports.AWS_SECRET_ACCESS_KEY };
    }

    /** The keys of the bucket's objects under `prefix`, as S3's ListObjectsV2 returns them. */
    list(prefix: string): string[] {
        const xml = this.request(`?list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`);
        return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    }

    /** One object's content. */
    get(key: string): string {
        return this.request(`/${key.split("/").map(encodeURIComponent).join("/")}`);
    }

    stop(): void {
        run(SCRIPT, ["down"], { ...process.env, S3_SERVER_DIR: this.dir });
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    private request(pathAndQuery: string): string {
        const { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, M2M_S3_ENDPOINT: endpoint, M2M_S3_BUCKET: bucket } = this.exports;
        const r = run("curl", ["-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", `${key}:${secret}`, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", `${endpoint}/${bucket}${pathAndQuery}`]);
        if (r.status !== 0) {
            throw new Error(`S3 GET /${bucket}${pathAndQuery} failed (curl ${r.status}): ${r.stderr}`);
        }
        return r.stdout;
    }
}
