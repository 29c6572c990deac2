// Quoting secrets into the config formats we render, as the daemons read them back. The Dovecot
// cases follow its 2.4 config parser (quoted values: `\x` is `x`) and its %{variable} expansion
// (a run of `%` before `{` loses one `%`); test/images/dovecot.test.ts proves the round trip with
// a real Dovecot logging in to PostgreSQL with such a password.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { dovecotString } from "../../components/core/render/quote";

/** What Dovecot 2.4 makes of a rendered value: unquote, then expand (no variables defined). */
function dovecotReads(rendered: string): string {
  assert.match(rendered, /^".*"$/s, "always double-quoted");
  const unquoted = rendered.slice(1, -1).replace(/\\(.)/g, "$1");
  return unquoted.replace(/(%+)\{/g, (_, run: string) => `${run.slice(1)}{`);
}

describe("dovecotString", () => {
  for (const value of ['plain', 'quo"te', "back\\slash", "%{user}", "%%{x}", "%%%{y}", "100%", "%d %u", "$SET:ssl $ENV:HOME", "# not a comment", "'single'", " spaced "]) {
    it(`keeps ${JSON.stringify(value)} as it is`, () => {
      assert.equal(dovecotReads(dovecotString(value, "test")), value);
    });
  }

  it("escapes quotes and backslashes, and adds one % before a {", () => {
    assert.equal(dovecotString('a"b\\c%{d}%%{e}%f', "test"), '"a\\"b\\\\c%%{d}%%%{e}%f"');
  });

  it("refuses a line break or another control character, naming the value", () => {
    assert.throws(() => dovecotString("a\nquery = DROP", "mailDbPassword"), /mailDbPassword contains a line break/);
    assert.throws(() => dovecotString("a\rb", "x"), /line break/);
    assert.throws(() => dovecotString("\u0001template", "x"), /control character/);
  });
});
