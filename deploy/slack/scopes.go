package slackmanifest

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed manifest.yaml
var manifestYAML []byte

// BotScopes are the bot scopes the manifest asks for.
func BotScopes() ([]string, error) {
	var m struct {
		OAuthConfig struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(manifestYAML, &m); err != nil {
		return nil, fmt.Errorf("read the embedded Slack manifest: %w", err)
	}
	return m.OAuthConfig.Scopes.Bot, nil
}
