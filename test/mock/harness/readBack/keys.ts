// Generated secrets: tls.PrivateKey (@pulumi/tls 5.6.1, hashicorp/terraform-provider-tls) and
// random.RandomPassword (@pulumi/random 4.21.2, hashicorp/terraform-provider-random). Both keep
// what they generated and replace on any input change. Sources: terraform-provider-tls
// internal/provider/common_key.go setPublicKeyAttributes (public_key_openssh is
// ssh.MarshalAuthorizedKey, which ends in a newline; public_key_pem is pem.EncodeToMemory, also
// newline-terminated) and resource_private_key.go (algorithm, rsa_bits, ecdsa_curve
// RequiresReplace; rsa_bits defaults to 2048, ecdsa_curve to P224); terraform-provider-random
// internal/provider/resource_password.go (every argument RequiresReplace; special, upper, lower
// and numeric default to true). The key material itself comes from the harness's mock values,
// which keep those trailing newlines. Pure.
import type { ResourceModel } from "./model";

export const privateKey: ResourceModel = {
  readBack: (inputs, computed) => ({ rsaBits: 2048, ecdsaCurve: "P224", ...inputs, ...computed }),
  computed: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8", "publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"],
  replaceOnChanges: ["algorithm", "rsaBits", "ecdsaCurve"],
  planned: { rsaBits: (n) => n ?? 2048, ecdsaCurve: (n) => n ?? "P224" },
};

const PASSWORD_DEFAULTS = { special: true, upper: true, lower: true, numeric: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0 };

export const randomPassword: ResourceModel = {
  readBack: (inputs, computed) => ({ ...PASSWORD_DEFAULTS, ...inputs, ...computed }),
  computed: ["result", "bcryptHash"],
  replaceOnChanges: ["keepers", "length", "special", "upper", "lower", "numeric", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial"],
  planned: Object.fromEntries(Object.entries(PASSWORD_DEFAULTS).map(([k, d]) => [k, (n: unknown) => n ?? d])),
};
