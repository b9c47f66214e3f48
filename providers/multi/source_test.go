package multi

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// ownSources lists hosts that each name their own source (a cloud provider
// with several agents, like Azure's VMs and Arc machines).
type ownSources struct{ *fakeCloud }

func (o ownSources) Hosts(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	hs, err := o.fakeCloud.Hosts(ctx, t, env)
	for i := range hs {
		hs[i].Source = runbooks.SourceAzureArc
	}
	return hs, err
}

// wholeSource answers every host from one source it names (the simulation).
type wholeSource struct{ *fakeCloud }

func (wholeSource) EvidenceSource() string { return runbooks.SourceSimulation }

func TestEvidenceSourceRouterKeepsEachHostsSource(t *testing.T) {
	aws, azure, gcp := newFake(runbooks.AWS), newFake(runbooks.Azure), newFake(runbooks.GCP)
	r, err := New(map[runbooks.Cloud]Cloud{
		runbooks.AWS:   aws.cloud(),
		runbooks.Azure: {Inventory: ownSources{azure}, Backups: azure, Patcher: azure},
		runbooks.GCP:   {Inventory: wholeSource{gcp}, Backups: gcp, Patcher: gcp},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{
		{Cloud: runbooks.AWS, Account: "111111111111"}, {Cloud: runbooks.Azure, Account: "sub-1"}, {Cloud: runbooks.GCP, Account: "proj-1"}}}
	hosts, err := r.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[runbooks.Cloud]string{runbooks.AWS: "", runbooks.Azure: runbooks.SourceAzureArc, runbooks.GCP: runbooks.SourceSimulation}
	if len(hosts) != 3 {
		t.Fatalf("got %d hosts, want 3", len(hosts))
	}
	for _, h := range hosts {
		if h.Source != want[h.Cloud] {
			t.Errorf("%s host %s: source %q, want %q", h.Cloud, h.ID, h.Source, want[h.Cloud])
		}
	}
}
