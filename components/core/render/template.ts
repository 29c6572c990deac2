// The strict template engine for files/: `{{ name }}` placeholders and nothing else, so a
// template stays a real config file that a Postfix or Dovecot admin can read. An undefined
// placeholder is an error naming the file and the placeholder; it never renders as "".
// Double braces were chosen because no daemon we template uses them (Postfix `$x`, Dovecot
// `%{x}`, Rspamd `${X}`, Caddy `{x}`, PHP `$x`).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type TemplateValues = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}/g;

export class TemplateError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "TemplateError";
  }
}

export function renderTemplate(file: string, source: string, values: TemplateValues): string {
  const missing = new Set<string>();
  const out = source.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return "";
    }
    return String(v);
  });
  if (missing.size > 0) {
    throw new TemplateError(file, `undefined placeholder${missing.size > 1 ? "s" : ""} ${[...missing].map((m) => `{{ ${m} }}`).join(", ")}`);
  }
  if (/\{\{|\}\}/.test(out.replace(/\$\{\{/g, ""))) {
    const line = out.split("\n").findIndex((l) => /\{\{|\}\}/.test(l)) + 1;
    throw new TemplateError(file, `malformed placeholder on line ${line} (write {{ name }})`);
  }
  return out;
}

/** Directory holding the templates (files/ at the repository root). */
import { FILES_DIR } from "../paths";

export function readTemplate(relPath: string): string {
  return readFileSync(join(FILES_DIR, relPath), "utf8");
}

export function renderFile(relPath: string, values: TemplateValues): string {
  return renderTemplate(relPath, readTemplate(relPath), values);
}
