// Rule (a): no Cloudflare DNS record of the mail stack is proxied. Applies to every record type,
// not only A/AAAA: every name this stack publishes is the mail host or points at it (autoconfig,
// mta-sts, webmail), and Cloudflare's proxy carries only HTTP(S). SMTP and IMAP to a proxied name
// fail, and certbot's HTTP-01 challenge (served by nginx) and the host's own certificate break
// behind it.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DNS_RECORD } from "./types";

export const dnsNotProxied: ResourceValidationPolicy = {
  name: "mail-dns-not-proxied",
  description: "Cloudflare DNS records of a mail stack must not be proxied (proxied: false or unset).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== DNS_RECORD) return;
    if (args.props.proxied === true) {
      reportViolation(
        `DNS record ${String(args.props.name ?? args.name)} (${String(args.props.type ?? "?")}) is proxied by Cloudflare; ` +
          "mail clients and servers cannot reach SMTP/IMAP through the proxy. Set proxied: false.",
      );
    }
  },
};
