// Quoting for the value formats our rendered files embed secrets and names in. Each refuses what
// its format cannot hold (a line break in a line-based file, a NUL in SQL) instead of letting a
// value inject a directive. Pure.

/** Contents of a single-quoted SQL literal (standard_conforming_strings: only ' is special). */
export function sqlString(value: string): string {
  if (value.includes("\0")) throw new Error("a SQL value may not contain a NUL byte");
  return value.replace(/'/g, "''");
}

/** A libpq conninfo value, always quoted so spaces and quotes in passwords are safe. */
export function libpqQuote(value: string): string {
  return `'${oneLine(value, "database password").replace(/[\\']/g, "\\$&")}'`;
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
