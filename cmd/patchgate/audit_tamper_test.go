package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/checkpoint"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// auditKeyEnv holds the test's Ed25519 seed: the bot reads its signing key
// from the environment, never from the store.
const auditKeyEnv = "PATCHGATE_TEST_AUDIT_KEY"

// auditFixture is a finished, signed and anchored cycle in a store of one
// backend, plus a verify-only configuration that has the public key and the
// anchor but not the private key.
type auditFixture struct {
	cycle     string
	stream    string
	revision  int64
	verifyCfg string
	runCfg    string // the bot's configuration, with the private key
	raw       rawStreams
	anchorDir string
	pubKey    string // PEM of the signing key's public half
	seed      []byte
	reports   string
}

// rawStreams edits streams behind the store's back, as someone with write
// access to the bbolt file or the Redis server would.
type rawStreams interface {
	read(t *testing.T, stream string) []state.Entry
	// replace makes stream hold exactly entries, with its head at the last.
	replace(t *testing.T, stream string, entries []state.Entry)
	// drop deletes the stream, its head and its index entry.
	drop(t *testing.T, stream string)
	// contains reports whether any stored byte sequence holds needle.
	contains(t *testing.T, needle []byte) bool
}

// newAuditFixture runs one cycle to completion with approvals, signing with
// a key from the environment and anchoring to a directory.
func newAuditFixture(t *testing.T, backend string) *auditFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "patchgate-audit-test-seed-"+backend)
	t.Setenv(auditKeyEnv, base64.StdEncoding.EncodeToString(seed))
	pub, _ := checkpoint.EncodePublicKey(ed25519.NewKeyFromSeed(seed).Public())
	pubPath := filepath.Join(dir, "audit-pub.pem")
	if err := os.WriteFile(pubPath, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &auditFixture{anchorDir: filepath.Join(dir, "anchors"), pubKey: pubPath, seed: seed, reports: filepath.Join(dir, "reports")}
	var store string
	switch backend {
	case "bolt":
		path := filepath.Join(dir, "state.db")
		store = fmt.Sprintf("store: {backend: bolt, bolt: {path: %s}}\n", path)
		f.raw = boltStreams{path: path}
	case "redis":
		sock := redistest.Start(t)
		store = fmt.Sprintf("store: {backend: redis, redis: {network: unix, addr: %s, prefix: tamper}}\n", sock)
		f.raw = redisStreams{rdb: redistest.Client(t, sock), base: "{tamper}:"}
	}
	body := store + `engine: {tick: 20ms, lease_ttl: 5s, step_timeout: 2s, requesters: [U0REQ00001]}
providers: {kind: sim, sim: {seed: 3, hosts_per_target: 1, state_path: ` + filepath.Join(dir, "sim.json") + `}}
pipeline:
  - {env: nonprod, approvers: [U0ALICE001], min_approvals: 1}
  - {env: production, approvers: [U0ALICE001, U0BOB00002], min_approvals: 2, four_eyes: true}
tenants:
  - name: acme-cu
    environments:
      nonprod: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
      production: {targets: [{cloud: aws, account: "222222222222", regions: [us-east-1]}]}
`
	runCfg := filepath.Join(dir, "run.yaml")
	f.runCfg = runCfg
	signing := fmt.Sprintf("audit:\n  signing: {key: \"env:%s\", key_id: ops-test, every: 5}\n  anchor: {dir: %s}\n", auditKeyEnv, f.anchorDir)
	writeFile(t, runCfg, body+signing)
	f.verifyCfg = filepath.Join(dir, "verify.yaml")
	writeFile(t, f.verifyCfg, body+fmt.Sprintf("audit:\n  signing: {public_keys: {ops-test: %s}}\n  anchor: {dir: %s}\n", pubPath, f.anchorDir))

	var out bytes.Buffer
	if code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0REQ00001", "--config", runCfg}, &out, &out); code != 0 {
		t.Fatalf("cycle start: exit %d: %s", code, out.String())
	}
	cfg, err := config.Load(runCfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: f.reports})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	runToEnd(t, a.engine)
	done, err := a.engine.Finished(ctx)
	if err != nil || len(done) != 1 || done[0].Status != runbooks.StatusCompleted {
		t.Fatalf("finished cycles: %v %v", done, err)
	}
	f.cycle, f.stream, f.revision = done[0].ID, runbooks.AuditStream(done[0].ID), done[0].Revision
	return f
}

// runToEnd ticks the engine and approves each waiting stage (two people for
// production) until no cycle is active.
func runToEnd(t testing.TB, e *runbooks.Engine) {
	t.Helper()
	ctx := context.Background()
	tickUntil(t, e, "the cycle to finish", func() bool {
		active, err := e.Active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range active {
			i := c.Current()
			if i < 0 || c.Status != runbooks.StatusRunning || c.Stages[i].Phase != runbooks.PhaseApproval {
				continue
			}
			who := "U0ALICE001"
			if len(c.Stages[i].Approvals) > 0 {
				who = "U0BOB00002"
			}
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: c.Stages[i].Name, Action: runbooks.Approve,
				Actor: who, SeenRevision: c.Revision, InteractionID: c.ID + c.Stages[i].Name + who}); err != nil {
				t.Fatalf("approve %s as %s: %v", c.Stages[i].Name, who, err)
			}
		}
		return len(active) == 0
	})
}

func writeFile(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// verify runs `patchgate audit verify` with the verify-only configuration.
func (f *auditFixture) verify(t *testing.T) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), []string{"audit", "verify", "--config", f.verifyCfg}, &out, &out)
	return code, out.String()
}

func TestAuditTamperBolt(t *testing.T)  { testAuditTamper(t, "bolt") }
func TestAuditTamperRedis(t *testing.T) { testAuditTamper(t, "redis") }

// testAuditTamper tampers with a finished cycle's audit stream four ways an
// attacker with write access to the store could, none of them needing the
// signing key, and requires `audit verify` to exit 1 naming the stream and
// the sequence each time; the untouched store verifies.
func testAuditTamper(t *testing.T, backend string) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, f *auditFixture) (seq int64)
		want   string
	}{
		{"untouched", nil, ""},
		{"edit one entry", func(t *testing.T, f *auditFixture) int64 {
			es := f.raw.read(t, f.stream)
			es[2].Data = bytes.Replace(es[2].Data, []byte(`"type":"`), []byte(`"type":"x`), 1)
			f.raw.replace(t, f.stream, es) // hashes and head as they were
			return 3
		}, "entry edited"},
		{"drop the tail and move the head back", func(t *testing.T, f *auditFixture) int64 {
			es := f.raw.read(t, f.stream)
			f.raw.replace(t, f.stream, es[:len(es)-1])
			return int64(len(es))
		}, "truncated"},
		{"delete the stream and its index entry", func(t *testing.T, f *auditFixture) int64 {
			n := int64(len(f.raw.read(t, f.stream)))
			f.raw.drop(t, f.stream)
			return n
		}, "deleted"},
		{"rewrite an approver and recompute every hash and the head", func(t *testing.T, f *auditFixture) int64 {
			es := f.raw.read(t, f.stream)
			at := -1
			for i, e := range es {
				var ev runbooks.Event
				if json.Unmarshal(e.Data, &ev) == nil && ev.Type == runbooks.EvApproved && ev.Actor == "U0BOB00002" {
					ev.Actor = "U0MALLORY1"
					es[i].Data, _ = json.Marshal(ev)
					at = i
					break
				}
			}
			if at < 0 {
				t.Fatal("no approval by U0BOB00002 to rewrite")
			}
			for i := at; i < len(es); i++ {
				if i > 0 {
					es[i].PrevHash = es[i-1].Hash
				}
				es[i].Hash = state.EntryHash(f.stream, es[i].Seq, es[i].Time, es[i].PrevHash, es[i].Data)
			}
			f.raw.replace(t, f.stream, es)
			return int64(len(es)) // the anchored head no longer matches
		}, "history rewritten"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuditFixture(t, backend)
			if f.raw.contains(t, f.seed) || f.raw.contains(t, []byte(base64.StdEncoding.EncodeToString(f.seed))) {
				t.Fatal("the signing key is in the store")
			}
			if tc.tamper == nil {
				code, out := f.verify(t)
				if code != 0 || !strings.Contains(out, "audit OK") || !strings.Contains(out, "streams extend their latest anchored head") {
					t.Fatalf("untouched store: exit %d:\n%s", code, out)
				}
				return
			}
			seq := tc.tamper(t, f)
			code, out := f.verify(t)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			want := fmt.Sprintf("BROKEN %s at seq %d", f.stream, seq)
			if tc.name == "edit one entry" {
				want = fmt.Sprintf("BROKEN %s at entry %d", f.stream, seq)
			}
			if !strings.Contains(out, want) || !strings.Contains(out, tc.want) {
				t.Fatalf("verify output lacks %q and %q:\n%s", want, tc.want, out)
			}
			t.Logf("%s:\n%s", tc.name, out)
		})
	}
}

// boltStreams edits the bbolt file of a closed store.
type boltStreams struct{ path string }

func (b boltStreams) update(t *testing.T, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(b.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func (b boltStreams) read(t *testing.T, stream string) []state.Entry {
	var out []state.Entry
	b.update(t, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("streams")).Bucket([]byte(stream)).ForEach(func(_, v []byte) error {
			var e state.Entry
			err := json.Unmarshal(v, &e)
			out = append(out, e)
			return err
		})
	})
	return out
}

func (b boltStreams) replace(t *testing.T, stream string, entries []state.Entry) {
	b.update(t, func(tx *bolt.Tx) error {
		streams := tx.Bucket([]byte("streams"))
		if err := streams.DeleteBucket([]byte(stream)); err != nil {
			return err
		}
		bk, err := streams.CreateBucket([]byte(stream))
		if err != nil {
			return err
		}
		for _, e := range entries {
			raw, _ := json.Marshal(e)
			if err := bk.Put(binary.BigEndian.AppendUint64(nil, uint64(e.Seq)), raw); err != nil {
				return err
			}
		}
		last := entries[len(entries)-1]
		return tx.Bucket([]byte("heads")).Put([]byte(stream), append(binary.BigEndian.AppendUint64(nil, uint64(last.Seq)), last.Hash...))
	})
}

func (b boltStreams) drop(t *testing.T, stream string) {
	b.update(t, func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("streams")).DeleteBucket([]byte(stream)); err != nil {
			return err
		}
		return tx.Bucket([]byte("heads")).Delete([]byte(stream))
	})
}

func (b boltStreams) contains(t *testing.T, needle []byte) bool {
	raw, err := os.ReadFile(b.path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(raw, needle)
}

// redisStreams edits a store's keys on the Redis server directly.
type redisStreams struct {
	rdb  *redis.Client
	base string
}

func (r redisStreams) read(t *testing.T, stream string) []state.Entry {
	raws, err := r.rdb.LRange(context.Background(), r.base+"log:"+stream, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]state.Entry, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (r redisStreams) replace(t *testing.T, stream string, entries []state.Entry) {
	ctx := context.Background()
	vals := make([]any, len(entries))
	for i, e := range entries {
		vals[i], _ = json.Marshal(e)
	}
	last := entries[len(entries)-1]
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, r.base+"log:"+stream)
		p.RPush(ctx, r.base+"log:"+stream, vals...)
		p.HSet(ctx, r.base+"head:"+stream, "seq", last.Seq, "hash", last.Hash)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r redisStreams) drop(t *testing.T, stream string) {
	ctx := context.Background()
	if err := r.rdb.Del(ctx, r.base+"log:"+stream, r.base+"head:"+stream).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.rdb.ZRem(ctx, r.base+"streams", stream).Err(); err != nil {
		t.Fatal(err)
	}
}

func (r redisStreams) contains(t *testing.T, needle []byte) bool {
	ctx := context.Background()
	keys, err := r.rdb.Keys(ctx, r.base+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var vals []string
		switch r.rdb.Type(ctx, k).Val() {
		case "string":
			vals = []string{r.rdb.Get(ctx, k).Val()}
		case "list":
			vals = r.rdb.LRange(ctx, k, 0, -1).Val()
		case "hash":
			for f, v := range r.rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "zset":
			vals = r.rdb.ZRange(ctx, k, 0, -1).Val()
		}
		for _, v := range vals {
			if bytes.Contains([]byte(v), needle) {
				return true
			}
		}
	}
	return false
}
