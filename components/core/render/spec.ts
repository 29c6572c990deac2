// The small shape every per-service renderer uses: a template under files/, the values for its
// placeholders, and the file's mode and secrecy. Turned into RenderedFiles in one place, so the
// path and mode rules are the same for every service. Pure.
import type { ServiceName } from "../topology";
import type { RenderedFile } from "./render";
import { renderFile, type TemplateValues } from "./template";

export interface FileSpec {
  service: ServiceName;
  /** Template path under files/, e.g. "postfix/main.cf". */
  template: string;
  /** Path in the service's config dir; defaults to the template path without its first folder. */
  path?: string;
  mode?: number;
  secret?: boolean;
  values: TemplateValues;
}

export function renderSpecs(specs: readonly FileSpec[]): RenderedFile[] {
  return specs.map((s) => ({
    service: s.service,
    path: s.path ?? s.template.slice(s.template.indexOf("/") + 1),
    content: renderFile(s.template, s.values),
    mode: s.mode ?? (s.secret ? 0o600 : 0o644),
    secret: s.secret ?? false,
  }));
}
