// What the backup container's status file (/srv/mail/backup/status.json, written by
// files/images/backup/entrypoint.sh after every run) means for an operator: when the last good
// backup was, whether that is too long ago for the schedule, the last error, the next run. Pure:
// JSON and a clock in, lines and a verdict out.

export interface BackupStatus {
  repository?: string;
  schedule?: string;
  maxAgeSeconds?: number;
  lastAttempt?: number | null;
  lastSuccess?: number | null;
  lastError?: string | null;
  snapshot?: string | null;
  durationSeconds?: number | null;
  files?: number | null;
  addedBytes?: number | null;
  nextRun?: number | null;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");

export function ago(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h ago`;
  return `${(seconds / 86400).toFixed(1)} days ago`;
}

export function describeBackupStatus(s: BackupStatus, nowSeconds: number): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  if (s.repository !== undefined) lines.push(`repository   ${s.repository}`);
  if (s.schedule !== undefined) lines.push(`schedule     ${s.schedule} (UTC)${s.nextRun ? `, next ${iso(s.nextRun)}` : ""}`);
  let ok = true;
  if (s.lastSuccess === undefined || s.lastSuccess === null) {
    lines.push("last success never");
    ok = false;
  } else {
    const age = nowSeconds - s.lastSuccess;
    const late = s.maxAgeSeconds !== undefined && age > s.maxAgeSeconds;
    if (late) ok = false;
    lines.push(
      `last success ${iso(s.lastSuccess)} (${ago(age)})${late ? `: TOO OLD, the schedule allows ${Math.round((s.maxAgeSeconds ?? 0) / 3600)} h` : ""}` +
        (s.snapshot ? `, snapshot ${s.snapshot.slice(0, 8)}` : "") +
        (s.files != null ? `, ${s.files} files` : "") +
        (s.addedBytes != null ? `, ${(s.addedBytes / 1048576).toFixed(1)} MiB added` : "") +
        (s.durationSeconds != null ? `, took ${s.durationSeconds} s` : ""),
    );
  }
  if (s.lastError) {
    ok = false;
    lines.push(`last attempt ${s.lastAttempt ? iso(s.lastAttempt) : "?"} FAILED: ${s.lastError}`);
  }
  return { ok, lines };
}
