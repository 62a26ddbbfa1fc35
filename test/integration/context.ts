// A build context for the dev image (images/dev): its Dockerfile plus a static busybox,
// staged in a temp folder because the binary is not part of the repository.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./driver";

export function stageDevImageContext(): string {
    const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
    if (!busybox) {
        throw new Error("no static busybox for the dev image: apt-get install busybox-static (scripts/cluster-toolchain.sh apt installs it)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-dev-image-"));
    fs.copyFileSync(path.join(ROOT, "images/dev/Dockerfile"), path.join(dir, "Dockerfile"));
    fs.copyFileSync(busybox, path.join(dir, "busybox"));
    return dir;
}
