package multi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// fakeCloud is one cloud's provider that records what it was asked.
type fakeCloud struct {
	name runbooks.Cloud

	mu        sync.Mutex
	targets   []runbooks.Target
	started   map[string][]string // tag → host IDs
	starts    int
	failStart error
	done      bool
	failed    []runbooks.Finding
}

func newFake(name runbooks.Cloud) *fakeCloud {
	return &fakeCloud{name: name, started: map[string][]string{}}
}

func (f *fakeCloud) cloud() Cloud { return Cloud{Inventory: f, Backups: f, Patcher: f} }

func (f *fakeCloud) Hosts(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hosts []runbooks.Host
	for _, t := range env.Targets {
		if t.Cloud != f.name {
			return nil, fmt.Errorf("%s asked about a %s target", f.name, t.Cloud)
		}
		f.targets = append(f.targets, t)
		hosts = append(hosts, runbooks.Host{ID: string(f.name) + "-" + t.Account, Cloud: f.name, Env: env.Name})
	}
	return hosts, nil
}

func (f *fakeCloud) start(_ context.Context, req runbooks.OpRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failStart != nil {
		return "", f.failStart
	}
	var ids []string
	for _, h := range req.Hosts {
		if h.Cloud != f.name {
			return "", fmt.Errorf("%s asked to act on a %s host", f.name, h.Cloud)
		}
		ids = append(ids, h.ID)
	}
	f.starts++
	f.started[req.Tag] = ids
	return string(f.name) + ":" + req.Tag, nil
}

func (f *fakeCloud) find(_ context.Context, req runbooks.OpRequest) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.started[req.Tag]; ok {
		return string(f.name) + ":" + req.Tag, true, nil
	}
	return "", false, nil
}

func (f *fakeCloud) status(_ context.Context, h string) (runbooks.OpStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tag, ok := strings.CutPrefix(h, string(f.name)+":")
	if !ok {
		return runbooks.OpStatus{}, fmt.Errorf("%s given another cloud's handle %q", f.name, h)
	}
	n := len(f.started[tag])
	return runbooks.OpStatus{Done: f.done, Total: n, Succeeded: n - len(f.failed), Failed: len(f.failed), Findings: f.failed}, nil
}

func (f *fakeCloud) StartBackup(ctx context.Context, r runbooks.OpRequest) (string, error) {
	return f.start(ctx, r)
}
func (f *fakeCloud) FindBackup(ctx context.Context, r runbooks.OpRequest) (string, bool, error) {
	return f.find(ctx, r)
}

// BackupStatus counts an AWS host's backup as an image and the others' as
// disk snapshots, as the real providers do.
func (f *fakeCloud) BackupStatus(ctx context.Context, h string) (runbooks.OpStatus, error) {
	st, err := f.status(ctx, h)
	if f.name == runbooks.AWS {
		st.Made.Images = st.Succeeded
	} else {
		st.Made.DiskSnapshots = st.Succeeded
	}
	return st, err
}
func (f *fakeCloud) StartPatch(ctx context.Context, r runbooks.OpRequest) (string, error) {
	return f.start(ctx, r)
}
func (f *fakeCloud) FindPatch(ctx context.Context, r runbooks.OpRequest) (string, bool, error) {
	return f.find(ctx, r)
}
func (f *fakeCloud) PatchStatus(ctx context.Context, h string) (runbooks.OpStatus, error) {
	return f.status(ctx, h)
}
func (f *fakeCloud) VerifyPatch(_ context.Context, r runbooks.OpRequest) ([]runbooks.Finding, error) {
	var out []runbooks.Finding
	for _, h := range r.Hosts {
		if h.Cloud != f.name {
			return nil, fmt.Errorf("%s asked to verify a %s host", f.name, h.Cloud)
		}
	}
	return append(out, f.failed...), nil
}

func threeClouds(t *testing.T) (*Router, map[runbooks.Cloud]*fakeCloud) {
	t.Helper()
	fakes := map[runbooks.Cloud]*fakeCloud{}
	clouds := map[runbooks.Cloud]Cloud{}
	for _, c := range []runbooks.Cloud{runbooks.AWS, runbooks.Azure, runbooks.GCP} {
		fakes[c] = newFake(c)
		clouds[c] = fakes[c].cloud()
	}
	r, err := New(clouds)
	if err != nil {
		t.Fatal(err)
	}
	return r, fakes
}

var mixedEnv = runbooks.Environment{Name: "production", Targets: []runbooks.Target{
	{Cloud: runbooks.GCP, Account: "dr-project"},
	{Cloud: runbooks.AWS, Account: "111111111111"},
	{Cloud: runbooks.Azure, Account: "sub-a"},
	{Cloud: runbooks.AWS, Account: "222222222222"},
}}

func TestHostsAsksEachCloudAboutItsOwnTargetsAndCombines(t *testing.T) {
	r, fakes := threeClouds(t)
	hosts, err := r.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, mixedEnv)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hosts {
		ids = append(ids, h.ID)
	}
	want := "aws-111111111111 aws-222222222222 azure-sub-a gcp-dr-project"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("combined inventory = %q, want %q", got, want)
	}
	if n := len(fakes[runbooks.AWS].targets); n != 2 {
		t.Fatalf("aws was asked about %d targets, want 2", n)
	}
}

func TestUnroutedCloudIsBlockedNotSkipped(t *testing.T) {
	r, err := New(map[runbooks.Cloud]Cloud{runbooks.AWS: newFake(runbooks.AWS).cloud()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Hosts(context.Background(), runbooks.Tenant{}, mixedEnv)
	if runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "azure, gcp") {
		t.Fatalf("err = %v, want blocked naming both unrouted clouds", err)
	}
}

func mixedRequest() runbooks.OpRequest {
	return runbooks.OpRequest{Tag: "c1/production/patch/1", Hosts: []runbooks.Host{
		{ID: "i-1", Cloud: runbooks.AWS}, {ID: "vm-1", Cloud: runbooks.Azure},
		{ID: "gce-1", Cloud: runbooks.GCP}, {ID: "i-2", Cloud: runbooks.AWS},
	}}
}

func TestStartRetriedAfterOneCloudFailedDoesNotStartTheOthersAgain(t *testing.T) {
	r, fakes := threeClouds(t)
	ctx := context.Background()
	fakes[runbooks.Azure].failStart = errors.New("ARM 503")
	if _, err := r.StartPatch(ctx, mixedRequest()); err == nil || !strings.Contains(err.Error(), "azure") {
		t.Fatalf("first start err = %v, want the azure failure named", err)
	}
	if _, found, err := r.FindPatch(ctx, mixedRequest()); err != nil || found {
		t.Fatalf("find after partial start = found %v err %v; want not found so the engine retries", found, err)
	}
	fakes[runbooks.Azure].failStart = nil
	h, err := r.StartPatch(ctx, mixedRequest())
	if err != nil {
		t.Fatal(err)
	}
	for c, f := range fakes {
		if f.starts != 1 {
			t.Errorf("%s started %d times, want exactly once", c, f.starts)
		}
	}
	if got := fakes[runbooks.AWS].started["c1/production/patch/1"]; strings.Join(got, ",") != "i-1,i-2" {
		t.Fatalf("aws acted on %v, want its two hosts only", got)
	}
	h2, found, err := r.FindPatch(ctx, mixedRequest())
	if err != nil || !found || h2 != h {
		t.Fatalf("find = %q %v %v, want the started handle %q", h2, found, err, h)
	}
}

func TestStatusAddsUpAndIsDoneOnlyWhenEveryCloudIs(t *testing.T) {
	r, fakes := threeClouds(t)
	ctx := context.Background()
	h, err := r.StartBackup(ctx, mixedRequest())
	if err != nil {
		t.Fatal(err)
	}
	fakes[runbooks.AWS].done, fakes[runbooks.GCP].done = true, true
	fakes[runbooks.GCP].failed = []runbooks.Finding{{HostID: "gce-1", Reason: "snapshot quota"}}
	st, err := r.BackupStatus(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done || st.Total != 4 || st.Succeeded != 3 || st.Failed != 1 || len(st.Findings) != 1 {
		t.Fatalf("status = %+v, want not done, 4 total, 3 ok, 1 failed", st)
	}
	if want := (runbooks.Made{Images: 2, DiskSnapshots: 1}); st.Made != want {
		t.Errorf("made %+v, want each cloud's count added up %+v", st.Made, want)
	}
	fakes[runbooks.Azure].done = true
	if st, _ = r.BackupStatus(ctx, h); !st.Done {
		t.Fatalf("status = %+v, want done once every cloud is", st)
	}
	if _, err := r.BackupStatus(ctx, "sim-op-7"); err == nil {
		t.Fatal("a foreign handle was accepted")
	}
}

func TestVerifyCombinesEachCloudsFindings(t *testing.T) {
	r, fakes := threeClouds(t)
	fakes[runbooks.Azure].failed = []runbooks.Finding{{HostID: "vm-1", Reason: "2 critical patches missing"}}
	f, err := r.VerifyPatch(context.Background(), mixedRequest())
	if err != nil || len(f) != 1 || f[0].HostID != "vm-1" {
		t.Fatalf("verify = %v, %v; want the azure host's finding", f, err)
	}
}

func TestNewRequiresEveryPort(t *testing.T) {
	if _, err := New(map[runbooks.Cloud]Cloud{runbooks.AWS: {Inventory: newFake(runbooks.AWS)}}); err == nil {
		t.Fatal("a cloud without backups and patcher was accepted")
	}
}
