// Where the local stack keeps its state, and the shape of .local/endpoints.json: written by
// `npm run local -- up`, read by the end-to-end tests and the benchmark. One definition, so a
// field the runner renames breaks the readers at type-check time. Reads nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../components/core/paths";

export const STATE_DIR = join(REPO_ROOT, ".local");

export interface LocalEndpoints {
  smtp: number;
  submission: number;
  submissions: number;
  imap: number;
  imaps: number;
  sieve: number;
  webmail: string;
  /** Demo credentials: the file is mode 0600; never print them. */
  mailboxes: { address: string; password: string }[];
  maildir: string;
  zone: string;
}

export function readEndpoints(stateDir = STATE_DIR): LocalEndpoints {
  return JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as LocalEndpoints;
}
