package azure

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/runbooks"
)

// Provider implements the engine's fleet ports for Azure.
type Provider struct {
	cfg  Config
	cred azcore.TokenCredential
	opts *arm.ClientOptions

	mu       sync.Mutex
	clients  map[string]*subClients // by subscription ID
	limits   map[string]chan struct{}
	finished map[opKey]opState // operations seen to end
	polled   map[opKey]time.Time
	// assessing holds the post-patch assessments VerifyPatch started, by
	// tag and machine, so a later call polls them instead of starting new
	// ones (an assessment takes minutes; one engine step does not).
	assessing map[string]*assessment
	// maxPages is PageGuard.Max of every paging loop (pageGuard; 0:
	// runbooks.MaxPages); tests lower it.
	maxPages int
}

// pageGuard guards one paging loop: the SDK's pagers follow whatever
// nextLink the peer names, so a peer that hands one out forever (or the
// same one again) would keep the step going forever.
func (p *Provider) pageGuard(loop string) *runbooks.PageGuard {
	return &runbooks.PageGuard{Loop: loop, Max: p.maxPages}
}

var (
	_ runbooks.Inventory = (*Provider)(nil)
	_ runbooks.Backups   = (*Provider)(nil)
	_ runbooks.Patcher   = (*Provider)(nil)
)

// subClients are one subscription's ARM clients (the SDK binds a client to
// a subscription).
type subClients struct {
	vms   *armcompute.VirtualMachinesClient
	snaps *armcompute.SnapshotsClient
	disks *armcompute.DisksClient // restores (restore.go)
	arcs  *armhybridcompute.MachinesClient
	runs  *armcompute.VirtualMachineRunCommandsClient // sensor installs (sensor.go)
	exts  *armhybridcompute.MachineExtensionsClient   // sensor installs on Arc (sensor_arc.go)
}

// New builds a provider. It makes no calls: credentials are tried on the
// first request.
func New(cfg Config) (*Provider, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	co := policy.ClientOptions{Cloud: clouds[cfg.Cloud]}
	co.Telemetry.ApplicationID = "patchgate"
	// The SDK's retry policy waits out a 429's Retry-After, which is how
	// ARM throttling is honoured; its attempts and timeouts come from the
	// step budget so a call ends inside the step.
	budgeted(&co, runbooks.StepBudget(cfg.StepTimeout, 0), "providers.azure.endpoint")
	if cfg.Endpoint != "" {
		base := clouds[cfg.Cloud]
		co.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {
				Endpoint: strings.TrimRight(cfg.Endpoint, "/"),
				Audience: base.Services[cloud.ResourceManager].Audience,
			}},
		}
		// Only a plain-http endpoint (a local test server or proxy) needs this.
		co.InsecureAllowCredentialWithHTTP = strings.HasPrefix(cfg.Endpoint, "http://")
	}
	cred := cfg.Credential
	switch {
	case cred != nil:
	case cfg.ClientSecret != "":
		cred, err = azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co})
	default:
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: co, TenantID: cfg.TenantID})
	}
	if err != nil {
		return nil, fmt.Errorf("azure credential: %w", err)
	}
	return &Provider{
		cfg: cfg, cred: cred,
		// A patch tool must not register resource providers in a
		// subscription; an unregistered one means "none of those here".
		opts:    &arm.ClientOptions{ClientOptions: co, DisableRPRegistration: true},
		clients: map[string]*subClients{}, limits: map[string]chan struct{}{},
		finished: map[opKey]opState{}, polled: map[opKey]time.Time{},
	}, nil
}

// sub returns the clients of one subscription, building them once.
func (p *Provider) sub(id string) (*subClients, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[id]; ok {
		return c, nil
	}
	vms, err := armcompute.NewVirtualMachinesClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("virtual machines client for subscription %s: %w", id, err)
	}
	snaps, err := armcompute.NewSnapshotsClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("snapshots client for subscription %s: %w", id, err)
	}
	arcs, err := armhybridcompute.NewMachinesClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("arc machines client for subscription %s: %w", id, err)
	}
	disks, err := armcompute.NewDisksClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("disks client for subscription %s: %w", id, err)
	}
	runs, err := armcompute.NewVirtualMachineRunCommandsClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("run commands client for subscription %s: %w", id, err)
	}
	exts, err := armhybridcompute.NewMachineExtensionsClient(id, p.cred, p.opts)
	if err != nil {
		return nil, fmt.Errorf("arc machine extensions client for subscription %s: %w", id, err)
	}
	c := &subClients{vms: vms, snaps: snaps, disks: disks, arcs: arcs, runs: runs, exts: exts}
	p.clients[id] = c
	return c, nil
}
