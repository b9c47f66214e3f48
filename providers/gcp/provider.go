package gcp

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	osconfig "google.golang.org/api/osconfig/v1"
	htransport "google.golang.org/api/transport/http"
)

// Provider implements the inventory, backup and patch ports for GCP.
type Provider struct {
	cfg      Config
	compute  *compute.Service
	osconfig *osconfig.Service

	// settled remembers snapshots already READY or FAILED, so repeated
	// polls of a large backup only read what is still moving.
	mu      sync.Mutex
	settled map[string]itemResult
	// partial holds, per tag, jobs FindPatch found in some projects only.
	partial map[string]map[string]string
}

var (
	_ runbooks.Inventory = (*Provider)(nil)
	_ runbooks.Backups   = (*Provider)(nil)
	_ runbooks.Patcher   = (*Provider)(nil)
)

const cloudPlatform = "https://www.googleapis.com/auth/cloud-platform"

// New builds the Compute and OS Config clients. Credentials are resolved
// here (ADC or the configured file), not on first use, so a broken setup
// fails at start.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("gcp: %w", err)
	}
	base := []option.ClientOption{option.WithScopes(cloudPlatform)}
	if cfg.CredentialsFile != "" {
		t := cfg.CredentialsType
		if t == "" {
			t = string(option.ServiceAccount)
		}
		base = append(base, option.WithAuthCredentialsFile(option.CredentialsType(t), cfg.CredentialsFile))
	}
	base = append(base, cfg.Options...)

	copts := append([]option.ClientOption{}, base...)
	if cfg.ComputeEndpoint != "" {
		copts = append(copts, option.WithEndpoint(cfg.ComputeEndpoint))
	}
	cs, err := compute.NewService(ctx, copts...)
	if err != nil {
		return nil, fmt.Errorf("gcp: compute client: %w", err)
	}

	// OS Config gets its own HTTP client so the quota limiter sits under
	// every call, paging included.
	hc, _, err := htransport.NewClient(ctx, base...)
	if err != nil {
		return nil, fmt.Errorf("gcp: OS Config credentials: %w", err)
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc = &http.Client{Transport: &limited{base: rt,
		reads:  newQuota(cfg.ReadsPerMinute, cfg.Clock, cfg.Sleep),
		writes: newQuota(cfg.WritesPerMinute, cfg.Clock, cfg.Sleep)}}
	oopts := []option.ClientOption{option.WithHTTPClient(hc)}
	if cfg.OSConfigEndpoint != "" {
		oopts = append(oopts, option.WithEndpoint(cfg.OSConfigEndpoint))
	}
	oc, err := osconfig.NewService(ctx, oopts...)
	if err != nil {
		return nil, fmt.Errorf("gcp: OS Config client: %w", err)
	}
	return &Provider{cfg: cfg, compute: cs, osconfig: oc, settled: map[string]itemResult{}, partial: map[string]map[string]string{}}, nil
}

// gcpHosts keeps the hosts of an operation that live in GCP, grouped by
// project.
func gcpHosts(hs []runbooks.Host) (map[string][]runbooks.Host, []string) {
	by := map[string][]runbooks.Host{}
	var projects []string
	for _, h := range hs {
		if h.Cloud != runbooks.GCP {
			continue
		}
		if _, ok := by[h.Account]; !ok {
			projects = append(projects, h.Account)
		}
		by[h.Account] = append(by[h.Account], h)
	}
	return by, projects
}
