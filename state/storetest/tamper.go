package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/state"
)

// testTamper corrupts a verified stream behind the store's back and checks
// Verify points at the first broken entry and says why.
func testTamper(t *testing.T, open Opener, tamper Tamper) {
	if tamper == nil {
		t.Skip("backend gives no Tamper hook")
	}
	const entries = 20
	tests := []struct {
		name         string
		corrupt      func(t *testing.T, s state.Store, stream string)
		wantBrokenAt int64
		wantChecked  int64
		wantProblem  string
	}{
		{"edit an entry", func(t *testing.T, s state.Store, stream string) {
			tamper.EditEntry(t, s, stream, 7, []byte("approved by nobody"))
		}, 7, 6, "edited"},
		{"edit the first entry", func(t *testing.T, s state.Store, stream string) {
			tamper.EditEntry(t, s, stream, 1, []byte("x"))
		}, 1, 0, "edited"},
		{"delete an entry", func(t *testing.T, s state.Store, stream string) {
			tamper.DeleteEntry(t, s, stream, 12)
		}, 12, 11, "missing"},
		{"drop the tail", func(t *testing.T, s state.Store, stream string) {
			tamper.DropTail(t, s, stream)
		}, entries, entries - 1, "head says seq"},
	}
	s, _ := open(t)
	ctx := t.Context()
	for i, tc := range tests {
		stream := fmt.Sprintf("audit/tamper/%d", i)
		for j := range entries {
			if _, err := s.Append(ctx, stream, fmt.Appendf(nil, "event %d", j+1)); err != nil {
				t.Fatalf("%s: append: %v", tc.name, err)
			}
		}
		if v, err := s.Verify(ctx, stream); err != nil || !v.OK() {
			t.Fatalf("%s: before tampering: %+v %v", tc.name, v, err)
		}
		tc.corrupt(t, s, stream)
		v, err := s.Verify(ctx, stream)
		wantErr(t, tc.name+": verify", err, nil)
		if v.OK() || v.BrokenAt != tc.wantBrokenAt || v.Checked != tc.wantChecked || !strings.Contains(v.Problem, tc.wantProblem) {
			t.Errorf("%s: verify = %+v, want broken at %d after %d checked, problem mentioning %q",
				tc.name, v, tc.wantBrokenAt, tc.wantChecked, tc.wantProblem)
		}
	}
}
