// The template engine must never turn a typo into an empty setting in a rendered config.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { renderTemplate } from "../../components/core/render/template";

describe("strict templates", () => {
  it("fills placeholders and leaves daemon syntax alone", () => {
    const src = "myhostname = {{ hostname }}\nmydestination = $myhostname\nuser_query = %u {{port}}\nrspamd = ${CONFDIR}\n";
    assert.equal(
      renderTemplate("postfix/main.cf", src, { hostname: "mail.example.com", port: 25 }),
      "myhostname = mail.example.com\nmydestination = $myhostname\nuser_query = %u 25\nrspamd = ${CONFDIR}\n",
    );
  });

  it("refuses an undefined placeholder, naming the file and every placeholder", () => {
    assert.throws(
      () => renderTemplate("dovecot/dovecot.conf", "a = {{ one }}\nb = {{ two }}\n", {}),
      /^TemplateError: dovecot\/dovecot\.conf: undefined placeholders \{\{ one \}\}, \{\{ two \}\}$/,
    );
  });

  it("refuses a malformed placeholder instead of passing it through", () => {
    assert.throws(() => renderTemplate("nginx/nginx.conf", "a = {{ host name }}\n", { host: "x" }), /nginx\/nginx\.conf: malformed placeholder on line 1/);
  });
});
