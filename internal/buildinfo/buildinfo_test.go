package buildinfo

import (
	"runtime/debug"
	"testing"
)

func vcs(rev, at string, modified bool) *debug.BuildInfo {
	m := "false"
	if modified {
		m = "true"
	}
	return &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/patchgate/patchgate", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: at},
			{Key: "vcs.modified", Value: m},
		},
	}
}

func TestResolve(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/patchgate/patchgate", Version: "v1.4.0"}}
	for _, tc := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"stamps win over build info", "v1.2.3", "abc1234", "2026-11-01T00:00:00Z", vcs(rev, "2026-10-01T00:00:00Z", true),
			Info{"v1.2.3", "abc1234", "2026-11-01T00:00:00Z"}},
		{"plain go build in a checkout", NoVersion, NoCommit, NoDate, vcs(rev, "2026-10-01T00:00:00Z", false),
			Info{NoVersion, "0123456789ab", "2026-10-01T00:00:00Z"}},
		{"uncommitted changes", NoVersion, NoCommit, NoDate, vcs(rev, "2026-10-01T00:00:00Z", true),
			Info{NoVersion, "0123456789ab-dirty", "2026-10-01T00:00:00Z"}},
		{"go install module@version", NoVersion, NoCommit, NoDate, installed,
			Info{"v1.4.0", NoCommit, NoDate}},
		{"no build info", NoVersion, NoCommit, NoDate, nil,
			Info{NoVersion, NoCommit, NoDate}},
		{"only the date missing", "v2.0.0", "feedbee", NoDate, vcs(rev, "2026-10-01T00:00:00Z", false),
			Info{"v2.0.0", "feedbee", "2026-10-01T00:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.version, tc.commit, tc.date, tc.bi); got != tc.want {
				t.Errorf("Resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCurrentKeepsStamps: the test binary carries real build info; stamped
// values must come through untouched whatever it holds.
func TestCurrentKeepsStamps(t *testing.T) {
	got := Current("v9.9.9", "c0ffee0", "2026-11-23T00:00:00Z")
	if want := (Info{"v9.9.9", "c0ffee0", "2026-11-23T00:00:00Z"}); got != want {
		t.Errorf("Current = %+v, want %+v", got, want)
	}
}
