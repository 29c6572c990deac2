// The URNs the tools hand to `pulumi up --replace` and `pulumi destroy --exclude` are the ones the
// program really registers: rebuilt here from the parent chain the mock engine records.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { mailboxPasswordUrn, mailboxSyncUrn, primaryIpUrns, PROJECT } from "../../tools/urns";
import { evaluate, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

let ev: Evaluation;

/** urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>, the root stack left out. */
function urnOf(r: RegisteredResource): string {
  const types = [r.type];
  for (let p = r.parent; p !== ""; ) {
    const parent = ev.resources.find((x) => x.name === p && !x.custom);
    assert.ok(parent, `no component named ${p}`);
    if (parent.type === "pulumi:pulumi:Stack") break;
    types.unshift(parent.type);
    p = parent.parent;
  }
  return `urn:pulumi:prod::${PROJECT}::${types.join("$")}::${r.name}`;
}

describe("URNs used by the tools", () => {
  beforeAll(() => {
    ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
  });

  it("a mailbox's generated password", () => {
    const r = ev.resources.find((x) => x.name === "mailbox-password-alice@example.com");
    assert.ok(r);
    assert.equal(mailboxPasswordUrn("prod", "alice@example.com"), urnOf(r));
  });

  it("the mailbox sync, which npm run restore asks to re-run", () => {
    const r = ev.resources.find((x) => x.name === "mailbox-sync");
    assert.ok(r);
    assert.equal(mailboxSyncUrn("prod"), urnOf(r));
  });

  it("the two primary IPs", () => {
    const ips = ev.resources.filter((x) => x.type === "hcloud:index/primaryIp:PrimaryIp").map(urnOf).sort();
    assert.deepEqual(primaryIpUrns("prod").sort(), ips);
  });
});
