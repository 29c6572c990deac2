// Creates the host folders the containers mount, with the owner and mode each daemon needs
// (components/core/containers/hostLayout.ts), as the VM's prepare-volume step does. Existing
// folders get their owner and mode corrected; their contents are never touched.
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DataDir } from "../components/core/containers/hostLayout";

export function ensureHostDir(d: DataDir): void {
  mkdirSync(dirname(d.path), { recursive: true, mode: 0o755 });
  mkdirSync(d.path, { recursive: true });
  chmodSync(d.path, parseInt(d.mode, 8));
  chownSync(d.path, d.uid, d.gid);
}
