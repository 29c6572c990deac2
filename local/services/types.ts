// The contract between the local runner and each local service module (postfix, dovecot, ...).
// A module knows how to start one daemon from the rendered files on this machine, how to tell it
// is answering, and how to stop it. The runner owns ordering, state and printing.
import type { Topology } from "../../components/core/topology";

export interface LocalContext {
  /** Repository-relative state folder, e.g. .local/ (git-ignored). */
  stateDir: string;
  topology: Topology;
  /** Append a line to the runner's log (never secrets). */
  log: (line: string) => void;
}

export interface LocalService {
  name: string;
  /** Validate rendered files with the daemon's own checker; throw naming the file on failure. */
  check?(ctx: LocalContext): Promise<void>;
  start(ctx: LocalContext): Promise<void>;
  /** Resolves when the service answers on its port(s); rejects with a clear message on timeout. */
  ready(ctx: LocalContext): Promise<void>;
  stop(ctx: LocalContext): Promise<void>;
}
