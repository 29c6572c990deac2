import { test } from "@jest/globals";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newCustomer, realIo, type CustomerIo } from "../../tools/customer/new";
import { loadStackConfig } from "../../components/core/config/stackFile";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP op@laptop";
const ZONE = "0123456789abcdef0123456789abcdef";

function quietIo(root: string): CustomerIo & { lines: string[] } {
  const lines: string[] = [];
  return { ...realIo(root), log: (l) => lines.push(l), lines };
}

const base = (name: string, ...more: string[]) => [
  "new", name, "--domain", "example.com", "--zone-id", ZONE, "--ssh-key", KEY, "--ssh-from", "203.0.113.0/24", ...more,
];

test("new writes a stack file that the program's own loader accepts, with the mailboxes asked for", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  newCustomer(base("acme", "--mailbox", "alice@example.com", "--mailbox", "bob@example.com"), quietIo(root));
  const cfg = loadStackConfig("acme", root);
  assert.equal(cfg.hostname, "mail.example.com");
  assert.deepEqual(cfg.mailboxes.map((m) => m.address), ["alice@example.com", "bob@example.com"]);
  assert.deepEqual(cfg.domains.map((d) => [d.name, d.zoneId]), [["example.com", ZONE]]);
  assert.deepEqual(cfg.ssh, { adminKeys: [KEY], allowFrom: ["203.0.113.0/24"] });
  // postmaster and abuse must reach a person: both are routed to the first mailbox.
  assert.deepEqual(cfg.aliases.map((a) => [a.from, a.to]), [["abuse@example.com", ["alice@example.com"]], ["postmaster@example.com", ["alice@example.com"]]]);
  const text = readFileSync(join(root, "Pulumi.acme.yaml"), "utf8");
  assert.match(text, /^# .*customer "acme"/m, "the file explains itself to the operator");
  assert.match(text, /pulumi config set --secret hcloud:token --stack acme/);
});

test("an internationalised domain is accepted and converted to punycode by the schema", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  newCustomer(
    ["new", "buecher", "--domain", "bücher.example", "--zone-id", ZONE, "--ssh-key", KEY, "--ssh-from", "198.51.100.7",
      "--mailbox", "postmaster@bücher.example"],
    quietIo(root),
  );
  const cfg = loadStackConfig("buecher", root);
  assert.equal(cfg.domains[0].name, "xn--bcher-kva.example");
  assert.equal(cfg.hostname, "mail.xn--bcher-kva.example");
  // The postmaster is a mailbox itself, so no alias shadows it; abuse@ goes to it.
  assert.deepEqual(cfg.aliases.map((a) => [a.from, a.to]), [["abuse@xn--bcher-kva.example", ["postmaster@xn--bcher-kva.example"]]]);
});

test("an existing customer is never overwritten", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  writeFileSync(join(root, "Pulumi.acme.yaml"), "config: {}\n# hand edits\n");
  assert.throws(() => newCustomer(base("acme"), quietIo(root)), /customer "acme" already exists.*edit that file/);
  assert.equal(readFileSync(join(root, "Pulumi.acme.yaml"), "utf8"), "config: {}\n# hand edits\n");
});

test("reserved and invalid names are refused with the rule", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  assert.throws(() => newCustomer(base("local"), quietIo(root)), /"local" is reserved.*choose another/);
  assert.throws(() => newCustomer(base("e2e"), quietIo(root)), /"e2e" is reserved/);
  assert.throws(() => newCustomer(base("Acme_Corp"), quietIo(root)), /"Acme_Corp" is not a valid stack name.*lower-case/);
  assert.throws(() => newCustomer(base("acme-"), quietIo(root)), /not a valid stack name/);
  assert.equal(existsSync(join(root, "Pulumi.local.yaml")), false);
});

test("missing required options are all named at once", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  assert.throws(
    () => newCustomer(["new", "acme", "--domain", "example.com"], quietIo(root)),
    (e: Error) => /--zone-id/.test(e.message) && /--ssh-key/.test(e.message) && /--ssh-from/.test(e.message) && !/missing.*--domain </.test(e.message),
  );
});

test("a value the schema rejects names the option and writes nothing", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  const io = quietIo(root);
  assert.throws(() => newCustomer(base("acme").map((a) => (a === ZONE ? "not-a-zone" : a)), io), /--zone-id: mailstack:domains\[0\]\.zoneId/);
  assert.throws(() => newCustomer(base("acme", "--mailbox", "carol@elsewhere.org"), io), /--mailbox: .*not in mailstack:domains/);
  assert.throws(() => newCustomer([...base("acme").slice(0, -1), "0.0.0.0/0"], io), /--ssh-from: .*whole internet/);
  assert.equal(existsSync(join(root, "Pulumi.acme.yaml")), false);
});

test("an admin key can be given as a .pub file; a wrong path is named", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  const pub = join(root, "op.pub");
  writeFileSync(pub, `${KEY}\n`);
  newCustomer(base("acme").map((a) => (a === KEY ? pub : a)), quietIo(root));
  assert.deepEqual(loadStackConfig("acme", root).ssh.adminKeys, [KEY]);
  assert.throws(() => newCustomer(base("beta").map((a) => (a === KEY ? join(root, "nope.pub") : a)), quietIo(root)), /--ssh-key: .*nope\.pub/);
});

test("unknown options and commands are usage errors", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  assert.throws(() => newCustomer([...base("acme"), "--zone", "x"], quietIo(root)), /--zone.*\n.*usage: npm run customer/s);
  assert.throws(() => newCustomer(["add", "acme"], quietIo(root)), /unknown command "add"/);
});

test("without --mailbox the postmaster is a mailbox of its own, so the stack still receives postmaster mail", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  newCustomer(base("acme"), quietIo(root));
  const cfg = loadStackConfig("acme", root);
  assert.deepEqual(cfg.mailboxes.map((m) => [m.address, m.enabled]), [["postmaster@example.com", true]]);
  assert.equal(cfg.domains[0].dmarc.reportTo, "postmaster@example.com");
  assert.deepEqual(cfg.aliases.map((a) => [a.from, a.to]), [["abuse@example.com", ["postmaster@example.com"]]]);
});

test("an operator's --acme-email elsewhere is listed as an external report address", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  newCustomer(base("acme", "--acme-email", "ops@hoster.example"), quietIo(root));
  const cfg = loadStackConfig("acme", root);
  assert.equal(cfg.acmeEmail, "ops@hoster.example");
  assert.deepEqual(cfg.externalReportAddresses, ["ops@hoster.example"]);
});

test("a .pub file with several keys gives all of them; a bad line in it is named by line", () => {
  const root = mkdtempSync(join(tmpdir(), "customer-"));
  const second = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHAAAABHNzaDo= yubikey";
  const team = join(root, "team.pub");
  writeFileSync(team, `# the ops team\n${KEY}\n\n${second}\n`);
  newCustomer(base("acme").map((a) => (a === KEY ? team : a)), quietIo(root));
  assert.deepEqual(loadStackConfig("acme", root).ssh.adminKeys, [KEY, second].sort());
  writeFileSync(team, `${KEY}\nssh-ed25519 notakey\n`);
  assert.throws(() => newCustomer(base("beta").map((a) => (a === KEY ? team : a)), quietIo(root)), /--ssh-key .*team\.pub:\n {2}- line 2: "ssh-ed25519 notakey"/);
});
