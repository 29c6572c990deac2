// Where the local stack keeps its state, and the shape of .local/endpoints.json: written by
// `npm run local -- up`, read by the end-to-end tests and the benchmark. One definition, so a
// field the runner renames breaks the readers at type-check time. Reads nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../components/core/paths";
import { localInstance } from "../components/core/topology";

/** .local/ for instance 0, .local-<n>/ for MAILSTACK_INSTANCE=n: stacks side by side never share data. */
export const STATE_DIR = join(REPO_ROOT, localInstance() === 0 ? ".local" : `.local-${localInstance()}`);

export interface LocalEndpoints {
  smtp: number;
  submission: number;
  submissions: number;
  imap: number;
  imaps: number;
  sieve: number;
  /** Opens as printed: the mail host's name under .localhost, which resolves to loopback. */
  webmail: string;
  /** The mail host name every TLS port's certificate names. */
  mailHost: string;
  /** Demo credentials: the file is mode 0600; never print them. */
  mailboxes: { address: string; password: string }[];
  maildir: string;
  zone: string;
  /**
   * The "outside": a network namespace that plays the internet. Clients run inside `netns`, bind
   * one of `sources`, and reach the stack's ports (same numbers as above) at `address`; the
   * containers see each source address as itself. Identity-dependent tests (relay from outside,
   * bans, client addresses in logs) use it; a human's mail client uses 127.0.0.1.
   */
  remote: { netns: string; address: string; sources: string[] };
  /** Where the stack relays outbound mail for other domains: listen here (on the host) to catch it. */
  sink: { host: string; port: number };
}

export function readEndpoints(stateDir = STATE_DIR): LocalEndpoints {
  return JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as LocalEndpoints;
}
