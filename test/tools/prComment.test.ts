// The pull-request comment after a preview: a failure (config error, policy violation, an earlier
// step) replaces an earlier green comment in place, saying so in its headline; a success shows the
// change summary. Against a stand-in GitHub API.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { marker, previewComment, upsertComment, type GitHub } from "../../tools/ci/prComment";

const green = "Previewing update (acme)\n\n     Type  Name\n     pulumi:pulumi:Stack  mailstack-acme\n\nResources:\n    ~ 1 to update\n    58 unchanged\n\nDuration: 12s\n";
const policy = "Previewing update (acme)\n\nPolicies:\n    ❌ mailstack-guards@v0.1.0 (local: policy)\n        - [mandatory]  mail-firewall-ports  (hcloud:index/firewall:Firewall: mail-host)\n          firewall mail-host rule 0 (tcp 22): SSH is open too widely: \"0.0.0.0/0\" opens SSH to the whole internet\n\nerror: preview failed\n";
const config = "error: The mail stack configuration has 1 problem:\n  - mailstack:hostname: is required; must be the mail host name\n";

describe("the preview comment", () => {
  it("a success shows the summary; a failure says so first and names the error lines", () => {
    const ok = previewComment({ stack: "acme", outcome: "success", log: green });
    assert.ok(ok.startsWith(marker("acme")));
    assert.match(ok, /✅ `pulumi preview` of `acme` passed\n\n```\n~ 1 to update\n58 unchanged\n```/);
    const bad = previewComment({ stack: "acme", outcome: "failure", log: policy, runUrl: "https://github.example/run/1" });
    assert.match(bad, /^<!-- mailstack-preview:acme -->\n\n### ❌ `pulumi preview` of `acme` failed\n\nThis replaces any earlier result: do not merge/);
    assert.match(bad, /```\n.*\[mandatory\]  mail-firewall-ports.*\n.*SSH is open too widely.*\nerror: preview failed\n```/s);
    assert.match(previewComment({ stack: "acme", outcome: "failure", log: config }), /mailstack:hostname: is required/);
    assert.match(previewComment({ stack: "acme", outcome: "skipped", log: undefined }), /did not run \(skipped\): an earlier step failed/);
  });

  it("stays under GitHub's size limit, keeping the end of a long log", () => {
    const long = `${"x".repeat(200_000)}\nerror: the last line\n`;
    const body = previewComment({ stack: "acme", outcome: "failure", log: long });
    assert.ok(body.length <= 65_536, String(body.length));
    assert.match(body, /error: the last line/);
  });
});

describe("posting it", () => {
  let server: Server;
  const comments: { id: number; body: string }[] = [];
  let g: GitHub;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => {
        const send = (s: number, j: unknown) => { res.writeHead(s, { "content-type": "application/json" }); res.end(JSON.stringify(j)); };
        if (req.headers.authorization !== "Bearer gh-token") return send(401, { message: "Bad credentials" });
        const url = new URL(req.url ?? "/", "http://x");
        if (req.method === "GET" && url.pathname === "/repos/o/r/issues/7/comments") return send(200, url.searchParams.get("page") === "1" ? comments : []);
        if (req.method === "POST" && url.pathname === "/repos/o/r/issues/7/comments") {
          comments.push({ id: comments.length + 1, body: (JSON.parse(data) as { body: string }).body });
          return send(201, {});
        }
        const m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
        if (req.method === "PATCH" && m !== null) {
          comments.find((c) => c.id === Number(m[1]))!.body = (JSON.parse(data) as { body: string }).body;
          return send(200, {});
        }
        send(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    g = { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, repo: "o/r", token: "gh-token", fetch };
  });
  afterAll(() => {
    server.close();
  });

  it("a failed preview turns the earlier green comment red, in place; other stacks' comments stay", async () => {
    comments.push({ id: 1, body: "a human's review comment" });
    assert.equal(await upsertComment(g, 7, "acme", previewComment({ stack: "acme", outcome: "success", log: green })), "created");
    assert.equal(await upsertComment(g, 7, "beta", previewComment({ stack: "beta", outcome: "success", log: green })), "created");
    assert.equal(await upsertComment(g, 7, "acme", previewComment({ stack: "acme", outcome: "failure", log: policy })), "updated");
    assert.equal(comments.length, 3);
    assert.match(comments[1].body, /❌ `pulumi preview` of `acme` failed/);
    assert.doesNotMatch(comments[1].body, /✅/);
    assert.match(comments[2].body, /✅ `pulumi preview` of `beta` passed/);
    assert.equal(comments[0].body, "a human's review comment");
  });

  it("a refused token is an error, not a silent success", async () => {
    await assert.rejects(upsertComment({ ...g, token: "wrong" }, 7, "acme", "x"), /401/);
  });
});
