// Recovery after an engine was killed mid-update, for what `pulumi cancel` does not cover.
import * as fs from "fs";
import * as path from "path";

/**
 * On a file backend, each checkpoint has a `.attrs` sidecar that the storage layer writes
 * in place (create, then encode), not by rename like the checkpoint itself. An engine
 * killed between the two leaves it empty, and every later command fails with "failed to
 * load checkpoint: EOF" although the checkpoint is intact. A missing sidecar is read as
 * default attributes, so removing an empty one is safe. Returns the files removed.
 */
export function removeEmptyCheckpointAttributes(backendDir: string, project: string, stack: string): string[] {
    const dir = path.join(backendDir, ".pulumi", "stacks", project);
    if (!fs.existsSync(dir)) {
        return [];
    }
    const removed: string[] = [];
    for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name);
        if (name.startsWith(`${stack}.json`) && name.endsWith(".attrs") && fs.statSync(file).size === 0) {
            fs.rmSync(file);
            removed.push(file);
        }
    }
    return removed;
}
