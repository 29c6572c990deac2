// The wrapper go.mod scripts/build-providers.sh builds each provider plugin with: below the path
// the Terraform provider declares (so its internal/ packages may be imported), the served fork
// for a provider served under another path, the bridge's module replaces (not its test shims),
// and the plugin-go/framework pins; and the version each plugin reports.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { BRIDGE, commitOf, pluginVersion, providerGoMod, PROVIDERS, wrapperPath } from "../../tools/engine/providerModule";
import type { GoModJson } from "../../tools/engine/wrapperModule";

// The bridge's go.mod at v3.120.0 as `go mod edit -json` prints it (trimmed to its replaces).
const BRIDGE_MOD: GoModJson = {
  Module: { Path: "github.com/pulumi/pulumi-terraform-bridge/v3" },
  Go: "1.24.7",
  Replace: [
    { Old: { Path: "github.com/hashicorp/terraform-plugin-sdk/v2" }, New: { Path: "github.com/pulumi/terraform-plugin-sdk/v2", Version: "v2.0.0-20250923233607-7f1981c8674a" } },
    { Old: { Path: "github.com/hashicorp/terraform-provider-tls" }, New: { Path: "./pkg/pf/tests/internal/tlsshim/vendor/github.com/hashicorp/terraform-provider-tls" } },
  ],
};

describe("provider plugin wrapper modules", () => {
  it("docker: below the declared path, the served fork, the bridge's SDK fork, the pins", () => {
    assert.equal(
      providerGoMod(PROVIDERS.docker, BRIDGE_MOD, "1.26.8"),
      [
        "module github.com/terraform-providers/terraform-provider-docker/mailstack",
        "",
        "go 1.26.8",
        "",
        "require (",
        `\t${BRIDGE.module} v3.120.0`,
        "\tgithub.com/terraform-providers/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4",
        ")",
        "",
        "replace github.com/terraform-providers/terraform-provider-docker => github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4",
        "replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20250923233607-7f1981c8674a",
        "replace github.com/hashicorp/terraform-plugin-go => github.com/hashicorp/terraform-plugin-go v0.29.0",
        "replace github.com/hashicorp/terraform-plugin-framework => github.com/hashicorp/terraform-plugin-framework v1.17.0",
        "",
      ].join("\n"),
    );
  });

  it("tls declares the path it is served under: no replace of itself", () => {
    const mod = providerGoMod(PROVIDERS.tls, BRIDGE_MOD, "1.26.8");
    assert.equal(wrapperPath(PROVIDERS.tls), "github.com/hashicorp/terraform-provider-tls/mailstack");
    assert.doesNotMatch(mod, /replace github\.com\/hashicorp\/terraform-provider-tls/);
    assert.doesNotMatch(mod, /\.\/pkg\/pf\/tests/);
  });

  it("refuses another module's go.mod as the bridge's", () => {
    assert.throws(() => providerGoMod(PROVIDERS.random, { Module: { Path: "example.com/other" } }, "1.26.8"), /not github\.com\/pulumi\/pulumi-terraform-bridge\/v3/);
  });

  it("reports the SDK's version with the Terraform commit as build metadata", () => {
    assert.equal(commitOf(PROVIDERS.random.version), "e1092b0cfc07");
    assert.equal(pluginVersion(PROVIDERS.docker, "5.2.0"), "5.2.0+mailstack.tf-docker.96d331c98ff4");
    assert.throws(() => pluginVersion(PROVIDERS.docker, "^5.2.0"), /not a release version/);
  });
});
