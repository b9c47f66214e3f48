package dynatrace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/patchgate/patchgate/doctor"
)

// RequiredScopes are the token scopes the health gate needs.
var RequiredScopes = []string{"problems.read"}

// Checks are the read-only probes of `patchgate doctor`: the token's own
// metadata (POST /api/v2/apiTokens/lookup, which any valid token may call)
// and its scopes against RequiredScopes.
func (c *Client) Checks() []doctor.Check {
	return []doctor.Check{{Name: "dynatrace " + c.cfg.BaseURL + ": token scopes", Run: func(ctx context.Context) (string, error) {
		meta, err := c.lookupToken(ctx)
		if err != nil {
			return "", doctor.Fix(c.redact(fmt.Errorf("dynatrace apiTokens/lookup: %w", err)),
				"set providers.dynatrace.token to a valid API token of this environment and check providers.dynatrace.url")
		}
		if !meta.Enabled {
			return "", doctor.Fixf("enable the token in Dynatrace (Access tokens) or create a new one", "token %s is disabled", meta.ID)
		}
		var missing []string
		for _, s := range RequiredScopes {
			if !slices.Contains(meta.Scopes, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return "", doctor.Fixf("add the scope(s) to the token in Dynatrace (Access tokens → edit)",
				"token %s lacks %s (has %s)", meta.ID, strings.Join(missing, ", "), strings.Join(meta.Scopes, ", "))
		}
		return fmt.Sprintf("token %s has %s", meta.ID, strings.Join(RequiredScopes, ", ")), nil
	}}}
}

// tokenMeta is the part of the ApiToken object the check reads.
type tokenMeta struct {
	ID      string   `json:"id"`
	Enabled bool     `json:"enabled"`
	Scopes  []string `json:"scopes"`
}

func (c *Client) lookupToken(ctx context.Context) (tokenMeta, error) {
	var meta tokenMeta
	body, _ := json.Marshal(map[string]string{"token": c.cfg.Token})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/api/v2/apiTokens/lookup", bytes.NewReader(body))
	if err != nil {
		return meta, err
	}
	req.Header.Set("Authorization", "Api-Token "+c.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return meta, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return meta, readAPIError(resp)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return meta, fmt.Errorf("read the answer: %w", err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, fmt.Errorf("decode the answer (HTTP %d, %s): %w", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return meta, nil
}
