package config

import (
	"strings"
	"testing"
)

// TestFalconBaseURL: base_url replaces the cloud's API host; plain http is
// refused off localhost (the client secret would travel in clear text) and
// a path is refused (Falcon's token path starts at the host).
func TestFalconBaseURL(t *testing.T) {
	section := func(url string) string {
		return minimal + `providers:
  simulate: [health, pager, access]
  falcon:
    client_id: env:FALCON_ID
    client_secret: env:FALCON_SECRET
    base_url: ` + url + "\n"
	}
	c, err := Parse("f.yaml", []byte(section("http://127.0.0.1:8443")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Providers.Falcon.BaseURL != "http://127.0.0.1:8443" {
		t.Errorf("base_url = %q", c.Providers.Falcon.BaseURL)
	}
	if _, err := Parse("f.yaml", []byte(section("https://falcon-proxy.bank.internal"))); err != nil {
		t.Errorf("https proxy refused: %v", err)
	}
	for url, want := range map[string]string{
		"http://falcon-proxy.bank.internal":      "f.yaml:12: providers.falcon.base_url: must be https",
		"https://falcon-proxy.bank.internal/api": "f.yaml:12: providers.falcon.base_url: \"https://falcon-proxy.bank.internal/api\" has a path",
		"api.crowdstrike.com":                    "f.yaml:12: providers.falcon.base_url: \"api.crowdstrike.com\" is not an http(s) URL",
	} {
		_, err := Parse("f.yaml", []byte(section(url)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("base_url %s: err = %v, want %q", url, err, want)
		}
	}
}
