// `npm run render`: a second run into the same folder removes what the stack no longer renders
// and nothing else; a folder with someone else's files is refused; operator mistakes exit 2 with
// one line and no stack trace, a YAML error naming file, line and column.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { stackFilePath } from "../../components/core/config/stackFile";
import { describeFailure } from "../../tools/cliKit";
import { RENDER_MARKER, renderStack } from "../../tools/render";

const ROOT = join(__dirname, "..", "..");
const tmp = () => mkdtempSync(join(tmpdir(), "mailstack-render-"));
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "tools", "render.ts"), ...args], { encoding: "utf8", cwd: ROOT });

describe("npm run render", () => {
  it("removes files it wrote before that the stack no longer has, and keeps everything else", () => {
    const out = join(tmp(), "review");
    const first = renderStack("prod", out, ROOT);
    assert.ok(first.written.includes("dns.zone") && first.written.some((f) => f.startsWith("files/postfix/")));
    // As if an earlier version of the stack had rendered one more file.
    const marker = JSON.parse(readFileSync(join(out, RENDER_MARKER), "utf8")) as { files: string[] };
    mkdirSync(join(out, "files", "retired"), { recursive: true });
    writeFileSync(join(out, "files", "retired", "old.conf"), "stale\n");
    writeFileSync(join(out, RENDER_MARKER), JSON.stringify({ ...marker, files: [...marker.files, "files/retired/old.conf"] }));
    writeFileSync(join(out, "my-review-notes.txt"), "mine\n");
    const second = renderStack("prod", out, ROOT);
    assert.deepEqual(second.removed, ["files/retired/old.conf"]);
    assert.equal(existsSync(join(out, "files", "retired")), false, "the folder it left empty is gone");
    assert.equal(readFileSync(join(out, "my-review-notes.txt"), "utf8"), "mine\n", "a file render did not write is kept");
  });

  it("refuses a folder holding files it did not write", () => {
    const out = tmp();
    writeFileSync(join(out, "thesis.tex"), "precious\n");
    assert.throws(() => renderStack("prod", out, ROOT), /already holds files that render did not write \(thesis\.tex\)/);
    assert.equal(readFileSync(join(out, "thesis.tex"), "utf8"), "precious\n");
  });

  it("a YAML syntax error is one line naming file, line and column, exit 2, no stack trace", () => {
    const root = tmp();
    writeFileSync(stackFilePath("acme", root), "config:\n  mailstack:hostname: mail.example.com\n  mailstack:aliases: [a, b\n");
    let caught: unknown;
    try {
      renderStack("acme", join(root, "out"), root);
    } catch (e) {
      caught = e;
    }
    const { code, text } = describeFailure("render", caught);
    assert.equal(code, 2);
    assert.match(text, /^render: .*Pulumi\.acme\.yaml:\d+:\d+: not valid YAML: /);
    assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  });

  it("--help exits 0; unknown options and a missing stack exit 2 with the usage or the fix", () => {
    const help = cli("--help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: npm run render -- --stack <name> --out <dir>/);
    const bad = cli("--stack", "prod", "--outt", "x");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--outt.*\n.*usage: npm run render/s);
    const missing = cli("--stack", "nosuchcustomer", "--out", join(tmp(), "o"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^render: no stack file .*Pulumi\.nosuchcustomer\.yaml; create it with npm run customer -- new/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  });
});
