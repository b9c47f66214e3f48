package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// KEVFeedURL is where CISA publishes the Known Exploited Vulnerabilities
// catalogue (schema: known_exploited_vulnerabilities_schema.json beside it).
const KEVFeedURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

// kevFeed is the catalogue as CISA publishes it; only the fields the SLA
// reads are decoded.
type kevFeed struct {
	Title           string `json:"title"`
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Count           int    `json:"count"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		VendorProject              string `json:"vendorProject"`
		Product                    string `json:"product"`
		DateAdded                  string `json:"dateAdded"` // YYYY-MM-DD
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// KEVEntry is one catalogue entry.
type KEVEntry struct {
	CVE        string
	Added      time.Time // the day CISA added it
	Due        time.Time // CISA's due date for federal agencies
	Ransomware bool
}

// KEV is a loaded catalogue: entries by CVE ID, and which version it was,
// so evidence can name it.
type KEV struct {
	Version string
	Source  string // the file or URL it was read from
	Entries map[string]KEVEntry
}

// Lookup returns the catalogue entry of a CVE.
func (k *KEV) Lookup(cve string) (KEVEntry, bool) {
	if k == nil {
		return KEVEntry{}, false
	}
	e, ok := k.Entries[strings.ToUpper(cve)]
	return e, ok
}

// ParseKEV decodes the catalogue. An entry without a valid cveID or
// dateAdded is an error: a catalogue read half-right would shorten some
// deadlines silently.
func ParseKEV(data []byte, source string) (*KEV, error) {
	var f kevFeed
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode KEV catalogue %s: %w", source, err)
	}
	if f.Vulnerabilities == nil {
		return nil, fmt.Errorf("KEV catalogue %s has no vulnerabilities list", source)
	}
	k := &KEV{Version: f.CatalogVersion, Source: source, Entries: make(map[string]KEVEntry, len(f.Vulnerabilities))}
	for i, v := range f.Vulnerabilities {
		id := strings.ToUpper(strings.TrimSpace(v.CVEID))
		if !strings.HasPrefix(id, "CVE-") {
			return nil, fmt.Errorf("KEV catalogue %s: vulnerabilities[%d].cveID %q is not a CVE ID", source, i, v.CVEID)
		}
		added, err := time.Parse(time.DateOnly, v.DateAdded)
		if err != nil {
			return nil, fmt.Errorf("KEV catalogue %s: %s dateAdded %q: %w", source, id, v.DateAdded, err)
		}
		due, _ := time.Parse(time.DateOnly, v.DueDate)
		k.Entries[id] = KEVEntry{CVE: id, Added: added, Due: due, Ransomware: v.KnownRansomwareCampaignUse == "Known"}
	}
	return k, nil
}

// MaxKEVSize bounds a catalogue read (CISA's is a few MB).
const MaxKEVSize = 64 << 20

// LoadKEV reads the catalogue from a file path or an http(s) URL.
func LoadKEV(ctx context.Context, client *http.Client, where string) (*KEV, error) {
	if !strings.HasPrefix(where, "http://") && !strings.HasPrefix(where, "https://") {
		b, err := os.ReadFile(where)
		if err != nil {
			return nil, fmt.Errorf("read KEV catalogue: %w", err)
		}
		return ParseKEV(b, where)
	}
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, fmt.Errorf("KEV catalogue URL %s: %w", where, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch KEV catalogue %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch KEV catalogue %s: HTTP %d", where, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxKEVSize+1))
	if err != nil {
		return nil, fmt.Errorf("read KEV catalogue %s: %w", where, err)
	}
	if len(b) > MaxKEVSize {
		return nil, fmt.Errorf("KEV catalogue %s is larger than %d bytes", where, MaxKEVSize)
	}
	return ParseKEV(b, where)
}
