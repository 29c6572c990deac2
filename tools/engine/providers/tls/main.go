// pulumi-resource-tls for mailstack: the Terraform TLS provider (hashicorp, plugin framework),
// bridged to Pulumi with the Pulumi Terraform bridge's plugin-framework support and mapped onto
// the token @pulumi/tls 5.6.1 sends for the one resource the program uses, tls_private_key
// (property names are the bridge's default translation, as in pulumi-tls).
// scripts/build-providers.sh builds it from the Go module proxy in a wrapper module generated
// under .cache/ (git-ignored); nothing of upstream's code is kept in this repository.
package main

import (
	"context"

	"github.com/hashicorp/terraform-provider-tls/internal/provider"
	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

// version is stamped by the build script (see ../docker/main.go).
var version = "0.0.0-dev"

func main() {
	ctx := context.Background()
	info := tfbridge.ProviderInfo{
		P:       pftfbridge.ShimProvider(provider.New()),
		Name:    "tls",
		Version: version,
		// Required to be non-nil by the plugin-framework bridge. tfgen would fill it (renames,
		// aliases, the mux table); at run time it is only read for a mux table, which an unmuxed
		// provider has none of, so an empty document is what a generated one amounts to here.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources: map[string]*tfbridge.ResourceInfo{
			"tls_private_key": {Tok: "tls:index/privateKey:PrivateKey"},
		},
	}
	// See ../random/main.go: a stub schema that names the package.
	pftfbridge.Main(ctx, "tls", info, pftfbridge.ProviderMetadata{PackageSchema: []byte(`{"name":"tls","version":"` + version + `"}`)})
}
