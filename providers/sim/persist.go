package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// stateFormat versions the state file.
const stateFormat = 1

// state is everything about the simulated world that is not regenerated
// from the seed: host faults and repairs, operations, health problems and
// counters (incidents included). Patched hosts are derived from the
// operations, so the file grows with requests, not with hosts.
type state struct {
	Format      int                           `json:"format"`
	Fingerprint string                        `json:"fingerprint"`
	Seq         map[string]int                `json:"seq"` // last handle number per kind
	Ops         []*operation                  `json:"ops"`
	Hosts       map[int]hostMut               `json:"hosts"` // by generated index
	Health      map[string][]runbooks.Problem `json:"health"`
	Stats       Stats                         `json:"stats"`
	Restores    []*restoreOp                  `json:"restores,omitempty"`
	Installs    []*installOp                  `json:"installs,omitempty"` // sensor install commands
	// Deleted are the pre-patch backups (image or snapshot IDs) the
	// retention job deleted.
	Deleted map[string]time.Time `json:"deleted,omitempty"`
	// Policies is the prevention policy each host group was moved to.
	Policies map[string]string `json:"policies,omitempty"`
	// Evaluated is when each Config rule (account/region/rule) was last
	// asked to re-evaluate (StartEvaluation).
	Evaluated map[string]time.Time `json:"evaluated,omitempty"`
}

func newState(fingerprint string) state {
	st := state{Format: stateFormat, Fingerprint: fingerprint}
	st.init()
	return st
}

func (st *state) init() {
	if st.Seq == nil {
		st.Seq = map[string]int{}
	}
	if st.Hosts == nil {
		st.Hosts = map[int]hostMut{}
	}
	if st.Health == nil {
		st.Health = map[string][]runbooks.Problem{}
	}
	st.Stats.init()
}

// fingerprint identifies the generated fleet, so a state file is never
// applied to a fleet generated from another seed or other tenants.
func (f *Fleet) fingerprint() string {
	parts := []string{strconv.FormatInt(f.cfg.Seed, 10), strconv.Itoa(f.cfg.HostsPerTarget)}
	for _, h := range f.w.hosts {
		parts = append(parts, h.ID)
	}
	return strconv.FormatUint(hashOf(parts...), 16) + "-" + strconv.Itoa(len(f.w.hosts))
}

// load reads cfg.StatePath if there is one, reporting whether it did.
func (f *Fleet) load() (bool, error) {
	path := f.cfg.StatePath
	if path == "" {
		return false, nil
	}
	// Temp files of writes a SIGKILL interrupted are garbage.
	if stale, err := filepath.Glob(path + ".tmp-*"); err == nil {
		for _, s := range stale {
			_ = os.Remove(s)
		}
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sim: read state %s: %w", path, err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return false, fmt.Errorf("sim: decode state %s: %w", path, err)
	}
	if st.Format != stateFormat {
		return false, fmt.Errorf("sim: state %s has format %d, want %d", path, st.Format, stateFormat)
	}
	if fp := f.fingerprint(); st.Fingerprint != fp {
		return false, fmt.Errorf("sim: state %s was written for another fleet (fingerprint %s, this seed and tenants give %s); delete it or use the same configuration", path, st.Fingerprint, fp)
	}
	st.init()
	for _, op := range st.Ops {
		for _, i := range op.Hosts {
			if i >= len(f.w.hosts) {
				return false, fmt.Errorf("sim: state %s: operation %s names host %d of %d", path, op.Handle, i, len(f.w.hosts))
			}
		}
	}
	f.st = st
	f.reindex()
	return true, nil
}

// reindex rebuilds the lookups derived from the operations.
func (f *Fleet) reindex() {
	f.patchedAt = make([]time.Time, len(f.w.hosts))
	f.byHandle = map[string]*operation{}
	f.byTag = map[string]*operation{}
	f.byStage = map[string][]*operation{}
	for _, op := range f.st.Ops {
		f.index(op)
	}
	f.reindexRestores()
}

// commit persists the state if the fleet has a state file. The caller holds
// f.mu, so writes are serialised and each one holds every earlier change.
func (f *Fleet) commit() error {
	if f.cfg.StatePath == "" {
		return nil
	}
	b, err := json.Marshal(&f.st)
	if err != nil {
		return fmt.Errorf("sim: encode state: %w", err)
	}
	if err := writeAtomic(f.cfg.StatePath, b); err != nil {
		return fmt.Errorf("sim: persist state: %w", err)
	}
	return nil
}

// writeAtomic replaces path with b so that a crash leaves either the old or
// the new file: write a temp file beside it, fsync, rename, fsync the
// directory.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		_ = os.Remove(name)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
