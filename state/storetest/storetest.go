// Package storetest is the one contract suite every state.Store backend
// passes: the same semantics, the same races, the same re-open, run against
// bbolt and Redis alike.
package storetest

import (
	"errors"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// Opener makes a fresh, empty store for one test, plus reopen, which opens
// the same underlying storage again (same file, same server and prefix). The
// suite closes the first store before calling reopen. The opener should close
// whatever it opened in t.Cleanup; Close returning state.ErrClosed there is
// expected.
type Opener func(t *testing.T) (s state.Store, reopen func() state.Store)

// Tamper corrupts a backend's storage behind the Store's back, the way an
// attacker with access to the file or the server would. Each method gets the
// open store it must corrupt. A backend that cannot tamper passes nil to Run
// and the tamper tests are skipped.
type Tamper interface {
	// EditEntry replaces the data of entry seq, keeping its stored hashes.
	EditEntry(t *testing.T, s state.Store, stream string, seq int64, data []byte)
	// DeleteEntry removes entry seq from the middle of the stream.
	DeleteEntry(t *testing.T, s state.Store, stream string, seq int64)
	// DropTail removes the last entry, leaving the stored head as it was.
	DropTail(t *testing.T, s state.Store, stream string)
}

// Run runs the whole contract against the backend open makes. Subtests run
// in parallel, each on its own store.
func Run(t *testing.T, open Opener, tamper Tamper) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Records", testRecords},
		{"List", testList},
		{"Keys", testKeys},
		{"CreateRace", testCreateRace},
		{"UpdateRace", testUpdateRace},
		{"DeleteRace", testDeleteRace},
		{"Claims", testClaims},
		{"ClaimRace", testClaimRace},
		{"Leases", testLeases},
		{"LeaseRace", testLeaseRace},
		{"Streams", testStreams},
		{"AppendAt", testAppendAt},
		{"StreamList", testStreamList},
		{"ConcurrentChain", testConcurrentChain},
		{"Tamper", func(t *testing.T, open Opener) { testTamper(t, open, tamper) }},
		{"Reopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open)
		})
	}
}

// wantErr fails unless err matches want (nil meaning success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}
