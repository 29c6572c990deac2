// pulumi-resource-random for mailstack: the Terraform random provider (hashicorp, plugin
// framework), bridged to Pulumi with the Pulumi Terraform bridge's plugin-framework support and
// mapped onto the token @pulumi/random 4.21.2 sends for the one resource the program uses,
// random_password (property names are the bridge's default translation, as in pulumi-random).
// scripts/build-providers.sh builds it from the Go module proxy in a wrapper module generated
// under .cache/ (git-ignored); nothing of upstream's code is kept in this repository.
package main

import (
	"context"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// version is stamped by the build script (see ../docker/main.go).
var version = "0.0.0-dev"

func main() {
	ctx := context.Background()
	info := tfbridge.ProviderInfo{
		P:       pftfbridge.ShimProvider(provider.New()),
		Name:    "random",
		Version: version,
		// Required to be non-nil by the plugin-framework bridge. tfgen would fill it (renames,
		// aliases, the mux table); at run time it is only read for a mux table, which an unmuxed
		// provider has none of, so an empty document is what a generated one amounts to here.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_password": {Tok: "random:index/randomPassword:RandomPassword"},
		},
	}
	// The plugin-framework bridge wants a package schema; the engine never asks for it during
	// preview, up or destroy, so a stub that names the package is enough.
	pftfbridge.Main(ctx, "random", info, pftfbridge.ProviderMetadata{PackageSchema: []byte(`{"name":"random","version":"` + version + `"}`)})
}
