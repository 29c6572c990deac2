// What the Cloudflare provider behind @pulumi/cloudflare 6.22.1 stores for a DNS record, and how
// its plan compares the next config with that. Sources: cloudflare/terraform-provider-cloudflare
// v5.22.0 internal/services/dns_record/{schema,model,resource,custom}.go (the newest upstream
// available here; 6.22.1's own upstream could not be matched: its SDK has include_shadow_metadata,
// which no available tag has), and the Cloudflare API's TXT content rule (OpenAPI text, e.g.
// cloudflare-typescript#1777). The provider stores the API's answer as is (Create/Read:
// apijson.Unmarshal into the model), so the API's normalisation is what lands in state. Pure.
import { deepEqual, holdsUnknown, type Props, type ResourceModel } from "./model";

/** RFC 1035 character-strings: `"..." "..."`, each at most 255 bytes (escapes \" and \\). */
function quotedStrings(content: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*"((?:[^"\\]|\\.)*)"/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(content)) !== null) {
    out.push(m[1]);
    end = re.lastIndex;
  }
  if (out.length === 0 || content.slice(end).trim() !== "") return undefined;
  return out.every((s) => Buffer.byteLength(s.replace(/\\(.)/g, "$1")) <= 255) ? out : undefined;
}

/**
 * The API's TXT content: "must consist of quoted character strings (RFC 1035), each with a length
 * of up to 255 bytes. Strings exceeding this allowed maximum length are automatically split."
 * Content already in that form is kept; anything else comes back quoted and split. (Whether the
 * API quotes a short unquoted value cannot be read from the provider; this follows the API text.)
 */
export function cloudflareTxt(content: string): string {
  if (quotedStrings(content) !== undefined) return content;
  const bytes = Buffer.from(content, "utf8");
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255).toString("utf8"));
  return chunks.map((c) => `"${c.replace(/["\\]/g, "\\$&")}"`).join(" ");
}

/** AAAA content as the API returns it: RFC 5952 form (lower case, longest zero run as ::). */
function canonicalIpv6(ip: string): string {
  const [h, t = ""] = ip.toLowerCase().split("::");
  const hs = h === "" ? [] : h.split(":");
  const ts = t === "" ? [] : t.split(":");
  const groups = (ip.includes("::") ? [...hs, ...Array(8 - hs.length - ts.length).fill("0"), ...ts] : hs).map((g) => parseInt(g, 16).toString(16));
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best[1] && j - i > 1) best = [i, j - i];
    i = j;
  }
  if (best[0] < 0) return groups.join(":");
  return `${groups.slice(0, best[0]).join(":")}::${groups.slice(best[0] + best[1]).join(":")}`;
}

/** The API computes content for records given by `data` (the provider keeps it in state). */
function dataContent(type: unknown, data: Props): string {
  if (type === "CAA") return `${String(data.flags)} ${String(data.tag)} "${String(data.value)}"`;
  if (type === "SRV") return `${String(data.weight)} ${String(data.port)} ${String(data.target)}`;
  // TLSA: the API's content is the four fields of the RR, space separated (dns/record.go
  // TLSARecord: content "Formatted TLSA content. See 'data' to set TLSA properties.").
  if (type === "TLSA") return `${String(data.usage)} ${String(data.selector)} ${String(data.matchingType)} ${String(data.certificate)}`;
  return "";
}

function readBack(inputs: Props, computed: Props): Props {
  const state: Props = { proxied: false, tags: [], settings: undefined, ...inputs, ...computed };
  const name = inputs.name;
  // The API returns the FQDN in lower case, without a trailing dot.
  if (typeof name === "string" && !holdsUnknown(name)) state.name = name.replace(/\.$/, "").toLowerCase();
  const content = inputs.content;
  if (typeof content === "string" && !holdsUnknown(content)) {
    if (inputs.type === "TXT") state.content = cloudflareTxt(content);
    if (inputs.type === "AAAA") state.content = canonicalIpv6(content);
  }
  if (inputs.data !== undefined) {
    // The API answers CAA flags as a JSON number whatever was sent (the schema's Dynamic `flags`
    // takes a number or a string; apijson stores the answer).
    const data = { ...(inputs.data as Props) };
    if (typeof data.flags === "string" && /^\d+$/.test(data.flags)) data.flags = Number(data.flags);
    state.data = data;
    state.content = dataContent(inputs.type, data);
    // SRV: the API reports the record's priority at the top level as well (the schema's
    // `priority`: "Required for MX, SRV and URI records").
    if (inputs.type === "SRV") state.priority = (inputs.data as Props).priority;
  }
  return state;
}

/**
 * Data compared as the plan does: flags by customfield.NormalizedDynamicValue semantics
 * (customfield/dynamic.go semanticEquals: numbers by value, so 0 and 0.0 are equal, but a string
 * "0" is not a number there), everything else exactly.
 */
function dataChanged(o: unknown, n: unknown): boolean {
  if (o === undefined || n === undefined) return o !== n;
  const a = o as Props;
  const b = n as Props;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === "flags" && typeof a[k] === "number" && typeof b[k] === "number" && a[k] === b[k]) continue;
    if (!deepEqual(a[k] ?? null, b[k] ?? null)) return true;
  }
  return false;
}

export const dnsRecord: ResourceModel = {
  readBack,
  computed: ["createdOn", "modifiedOn", "commentModifiedOn", "tagsModifiedOn", "proxiable", "meta"],
  // schema.go: zone_id and type have stringplanmodifier.RequiresReplace(); all else updates.
  replaceOnChanges: ["zoneId", "type"],
  optionalComputed: ["tags", "settings"],
  // schema.go: priority is Optional, not Computed; the read fills it for SRV.
  filledOnRead: ["priority"],
  planned: {
    // resource.go ModifyPlan: a configured name that is a leading part of the state's FQDN keeps
    // the state's name; otherwise the configured name is compared as written (case included).
    name: (n, old) => {
      if (typeof n !== "string" || typeof old.name !== "string") return n;
      const plan = n.replace(/\.$/, "");
      return String(old.name).startsWith(`${plan}.`) ? old.name : plan;
    },
    // booldefault.StaticBool(false).
    proxied: (n) => n ?? false,
  },
  changed: {
    // ModifyPlan: records given by data have computed content; content compared exactly otherwise
    // (case-insensitively for CNAME only).
    content: (o, n, { newInputs }) => {
      if (newInputs.data !== undefined) return false;
      if (newInputs.type === "CNAME" && typeof o === "string" && typeof n === "string") return o.toLowerCase() !== n.toLowerCase();
      return !deepEqual(o ?? null, n ?? null);
    },
    data: dataChanged,
  },
};

/**
 * cloudflare_zone_dnssec (internal/services/zone_dnssec/{schema,resource}.go): Create and Read store
 * the API's answer as is (apijson.Unmarshal into the model), `status` included, which the API
 * reports as "pending" until the registrar publishes the DS record ("active" after that); the
 * program therefore ignores later changes of `status` (components/dns.ts). zone_id RequiresReplace;
 * everything but zone_id, status, dnssec_multi_signer and dnssec_presigned is Computed.
 */
export const zoneDnssec: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed, status: "pending" }),
  computed: ["algorithm", "digest", "digestAlgorithm", "digestType", "ds", "flags", "keyTag", "keyType", "modifiedOn", "publicKey"],
  replaceOnChanges: ["zoneId"],
};
