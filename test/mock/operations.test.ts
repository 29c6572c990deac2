// The operations parts of the program under the mock engine: a stack with mailstack:backup gets
// the backup image, its config push and its container, with the repository's credentials and the
// alert webhook kept secret everywhere; a stack without it has none of them; and every stack gets
// the alert checks installed on the VM.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, key, MOCK_SECRET_MARKER, unmarkedSecrets, type Evaluation } from "./harness/types";
import { prodConfig, request } from "./fixtures";

const BACKUP = ["command:remote:Command::build-image-backup", "command:remote:Command::push-config-backup", "docker:index/container:Container::backup"];

describe("a stack with backups and an alert webhook", () => {
  let ev: Evaluation;
  beforeAll(() => {
    const cfg = { ...prodConfig(), backup: { repository: "s3:https://fsn1.your-objectstorage.com/acme-backups" } };
    ev = evaluate(
      request(cfg, {
        secrets: {
          backupPassword: `${MOCK_SECRET_MARKER}-restic`,
          backupAccessKeyId: `${MOCK_SECRET_MARKER}-akid`,
          backupSecretAccessKey: `${MOCK_SECRET_MARKER}-s3-secret`,
          alertWebhookUrl: `https://hooks.example.net/${MOCK_SECRET_MARKER}-token`,
        },
      }),
    );
    assert.ok(ev.ok, ev.error);
  });

  it("builds, configures and runs the backup container", () => {
    const keys = ev.resources.map(key);
    for (const k of BACKUP) assert.ok(keys.includes(k), `no ${k}`);
    const container = ev.resources.find((r) => key(r) === "docker:index/container:Container::backup")!;
    const mounts = container.inputs.mounts as { source: string; target: string; readOnly: boolean }[];
    assert.deepEqual(mounts.map((m) => [m.source, m.target, m.readOnly]), [["/srv/mail/config/backup", "/config", true], ["/srv/mail", "/volume", false]]);
  });

  it("keeps the restic password, the S3 keys and the webhook URL secret", () => {
    assert.deepEqual(unmarkedSecrets(ev), []);
    const marked = ev.resources.filter((r) => r.secretInputs.length > 0).map((r) => r.name);
    assert.ok(marked.includes("push-config-backup") && marked.includes("install-alerts"), marked.join(", "));
  });
});

describe("a stack without backups", () => {
  it("has no backup image, push or container, but its alerts are installed", () => {
    const ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
    const keys = ev.resources.map(key);
    for (const k of BACKUP) assert.ok(!keys.includes(k), `unexpected ${k}`);
    const alerts = ev.resources.find((r) => key(r) === "command:remote:Command::install-alerts");
    assert.ok(alerts);
    assert.match(String(alerts.inputs.stdin), /systemctl enable --now mailstack-alerts\.timer mailstack-digest\.timer mailstack-dmarc-report\.timer/);
  });
});
