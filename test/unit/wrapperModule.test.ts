// The wrapper go.mod that scripts/build-pulumi.sh builds the Pulumi CLI with: upstream's replace
// directives repeated, a path replace into upstream's monorepo turned into the same release.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { wrapperGoMod, type GoModJson } from "../../tools/engine/wrapperModule";

// The shape of pkg/v3's go.mod at v3.248.0, as `go mod edit -json` prints it (trimmed).
const PKG: GoModJson = {
  Module: { Path: "github.com/pulumi/pulumi/pkg/v3" },
  Go: "1.25.11",
  Replace: [
    { Old: { Path: "github.com/pulumi/pulumi/sdk/v3" }, New: { Path: "../sdk" } },
    {
      Old: { Path: "github.com/atotto/clipboard" },
      New: { Path: "github.com/tgummerer/clipboard", Version: "v0.0.0-20241001131231-d02d263e614e" },
    },
  ],
};
const TARGET = { wrapper: "mailstack.local/build/pulumi", module: "github.com/pulumi/pulumi/pkg/v3", version: "v3.248.0" };

describe("wrapper go.mod for a module with replace directives", () => {
  it("requires the module at its version with upstream's Go version and every replace", () => {
    assert.equal(
      wrapperGoMod(PKG, TARGET),
      [
        "module mailstack.local/build/pulumi",
        "",
        "go 1.25.11",
        "",
        "require github.com/pulumi/pulumi/pkg/v3 v3.248.0",
        "",
        "replace github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 v3.248.0",
        "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
        "",
      ].join("\n"),
    );
  });

  it("keeps a version-specific replace specific", () => {
    const mod: GoModJson = {
      Module: PKG.Module,
      Replace: [{ Old: { Path: "example.com/a", Version: "v1.0.0" }, New: { Path: "example.com/b", Version: "v1.0.1" } }],
    };
    assert.match(wrapperGoMod(mod, TARGET), /^replace example\.com\/a v1\.0\.0 => example\.com\/b v1\.0\.1$/m);
  });

  it("works without replaces and refuses another module's go.mod", () => {
    assert.doesNotMatch(wrapperGoMod({ Module: PKG.Module, Replace: null }, TARGET), /replace/);
    assert.throws(() => wrapperGoMod({ Module: { Path: "example.com/other" } }, TARGET), /not github\.com\/pulumi\/pulumi\/pkg\/v3/);
  });
});
