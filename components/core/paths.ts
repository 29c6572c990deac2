// The two folders every file-reading part of the core starts from: the repository root and the
// templates under files/. Kept in one file at the root of core/ so moving a module between the
// core's folders never changes what `__dirname/..` means. Pure constants.
import { join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");
export const FILES_DIR = join(REPO_ROOT, "files");
