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
	// maxPages is PageGuard.Max of every paging loop (guarded; 0:
	// runbooks.MaxPages); tests lower it.
	maxPages int

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

// Attempts is how many attempts one API call gets inside the step budget.
const Attempts = 4

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

	// Both clients get their own HTTP client so retries (and, for OS
	// Config, the quota limiter) sit under every call, paging included.
	// Attempts, each attempt's timeout and the waits come from the step
	// budget, so a call ends inside the step; a silent or non-API answer
	// becomes a CallError naming the call.
	b := runbooks.StepBudget(cfg.StepTimeout, Attempts)
	perTry, maxWait := b.PerAttempt, b.MaxBackoff
	if cfg.StepTimeout <= 0 {
		perTry, maxWait = 0, 0 // no step budget given: Google's own pacing
	}
	retry := func(rt http.RoundTripper) http.RoundTripper {
		return &retrying{base: rt, attempts: b.Attempts, sleep: cfg.Sleep, perTry: perTry, maxWait: maxWait}
	}
	describe := func(service, key string, rt http.RoundTripper) http.RoundTripper {
		return runbooks.DescribeTransport(rt, b.PerAttempt, key, describer(service))
	}
	chc, err := httpClient(ctx, base, func(rt http.RoundTripper) http.RoundTripper {
		return describe("compute", "providers.gcp.compute_endpoint", retry(rt))
	})
	if err != nil {
		return nil, fmt.Errorf("gcp: Compute credentials: %w", err)
	}
	cs, err := compute.NewService(ctx, endpoint(chc, cfg.ComputeEndpoint)...)
	if err != nil {
		return nil, fmt.Errorf("gcp: compute client: %w", err)
	}
	reads, writes := newQuota(cfg.ReadsPerMinute, cfg.Clock, cfg.Sleep), newQuota(cfg.WritesPerMinute, cfg.Clock, cfg.Sleep)
	ohc, err := httpClient(ctx, base, func(rt http.RoundTripper) http.RoundTripper {
		// Every attempt, retries included, spends quota.
		return describe("osconfig", "providers.gcp.osconfig_endpoint", retry(&limited{base: rt, reads: reads, writes: writes}))
	})
	if err != nil {
		return nil, fmt.Errorf("gcp: OS Config credentials: %w", err)
	}
	oc, err := osconfig.NewService(ctx, endpoint(ohc, cfg.OSConfigEndpoint)...)
	if err != nil {
		return nil, fmt.Errorf("gcp: OS Config client: %w", err)
	}
	return &Provider{cfg: cfg, compute: cs, osconfig: oc, settled: map[string]itemResult{}, partial: map[string]map[string]string{}}, nil
}

// httpClient is an authenticated client (ADC, a credentials file, or none
// in tests) whose transport wrap decorates.
func httpClient(ctx context.Context, opts []option.ClientOption, wrap func(http.RoundTripper) http.RoundTripper) (*http.Client, error) {
	hc, _, err := htransport.NewClient(ctx, opts...)
	if err != nil {
		return nil, err
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &http.Client{Transport: wrap(rt)}, nil
}

// endpoint gives a service its HTTP client and, when set, its endpoint.
func endpoint(hc *http.Client, url string) []option.ClientOption {
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if url != "" {
		opts = append(opts, option.WithEndpoint(url))
	}
	return opts
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
