// pulumi-resource-docker for mailstack: the Terraform Docker provider (kreuzwerker), bridged to
// Pulumi with the Pulumi Terraform bridge, mapped onto the tokens and property names that
// @pulumi/docker 5.2.0 sends. Only what the program uses is mapped: the provider configuration,
// docker_container and docker_network. scripts/build-providers.sh builds it from the Go module
// proxy in a wrapper module generated under .cache/ (git-ignored); nothing of upstream's code is
// kept in this repository. The mapping follows what pulumi-docker's provider/resources.go declares
// for these three (read, not copied): names the bridge would otherwise pluralise or rename are
// pinned, Container is replaced delete-first, and `host` falls back to DOCKER_HOST.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// version is stamped by the build script: the @pulumi/docker version the SDK asks for, with build
// metadata naming the Terraform provider commit (semver ignores it when comparing).
var version = "0.0.0-dev"

func main() {
	info := tfbridge.ProviderInfo{
		// The SDKv2 half of the Terraform provider; its plugin-framework half (compose, buildx
		// builder, actions) is not served to Pulumi at all.
		P:       shimv2.NewProvider(provider.New(version)()),
		Name:    "docker",
		Version: version,
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{Value: "unix:///var/run/docker.sock", EnvVars: []string{"DOCKER_HOST"}}},
			// A list in Terraform whose Pulumi name stays singular.
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {
				Tok: "docker:index/container:Container",
				// Named containers with published ports cannot exist twice.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// One command (a list of words), not several: not pluralised.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_network": {Tok: "docker:index/network:Network"},
		},
	}
	info.SetAutonaming(255, "-")
	// No package schema: the engine asks for none during preview, up or destroy, and without one
	// the bridge skips only its own type check of the provider configuration.
	tfbridge.Main("docker", version, info, nil)
}
