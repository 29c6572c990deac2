// Quoting for the value formats our rendered files embed secrets and names in. Each refuses what
// its format cannot hold (a line break in a line-based file, a NUL in SQL) instead of letting a
// value inject a directive. Pure.

/** Contents of a single-quoted SQL literal (standard_conforming_strings: only ' is special). */
export function sqlString(value: string): string {
  if (value.includes("\0")) throw new Error("a SQL value may not contain a NUL byte");
  return value.replace(/'/g, "''");
}

/**
 * A Dovecot 2.4 setting value, always double-quoted. Inside quotes the config parser unescapes
 * `\x` to `x` (so `"` and `\` get a backslash) and never expands `$SET:`/`$ENV:` or treats `#` as
 * a comment. Every value is then run through Dovecot's %{variable} expansion when a process uses
 * it, where a run of `%` just before `{` loses one `%` (`%%{x}` means the text `%{x}`), and every
 * other `%` stays as it is; so such runs get one more.
 * ref: https://doc.dovecot.org/2.4.1/core/settings/syntax.html#basic-syntax
 * ref: https://doc.dovecot.org/2.4.1/core/settings/variables.html
 */
export function dovecotString(value: string, what: string): string {
  // Beyond line breaks: a leading \x01 marks a precompiled template inside Dovecot.
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error(`${what} contains a line break or another control character; it cannot go into a Dovecot setting`);
  const escaped = value
    .replace(/[\\"]/g, "\\$&")
    .replace(/(%+)(?=\{)/g, "$1%");
  return `"${escaped}"`;
}

/** A value inside double quotes in a curl config file. */
export function curlQuote(value: string): string {
  return oneLine(value, "rspamd controller password").replace(/[\\"]/g, "\\$&");
}

/** A PHP single-quoted string body: only backslash and quote need escaping. */
export function phpQuoted(value: string): string {
  return value.replace(/[\\']/g, "\\$&");
}

/** Line-based config formats cannot hold a newline; refuse rather than inject a directive. */
export function oneLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`${what} contains a line break; it cannot go into a config file`);
  return value;
}
