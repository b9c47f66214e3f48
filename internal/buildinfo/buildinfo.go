// Package buildinfo says which build of patchgate is running. Release
// builds stamp version, commit and date with -ldflags -X (scripts/build.sh);
// a plain `go build` or `go install` does not, so whatever the stamps left
// at their defaults is taken from the Go build info instead (the module
// version `go install …@v1.2.3` records, and the VCS revision and commit
// time `go build` records in a git checkout).
package buildinfo

import "runtime/debug"

// The defaults main's stamped variables have when -ldflags did not set them.
const (
	NoVersion = "dev"
	NoCommit  = "none"
	NoDate    = "unknown"
)

// Info is what `patchgate version` prints.
type Info struct {
	Version, Commit, Date string
}

// Resolve returns the stamped values, each one still at its default filled
// in from bi when bi has it. bi may be nil (debug.ReadBuildInfo failed).
func Resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, Date: date}
	if bi == nil {
		return in
	}
	if in.Version == NoVersion && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if in.Commit == NoCommit && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			rev += "-dirty" // built from a tree with uncommitted changes
		}
		in.Commit = rev
	}
	if in.Date == NoDate && at != "" {
		in.Date = at // the commit's time: the nearest honest date a plain build has
	}
	return in
}

// Current resolves the stamps against the running binary's build info.
func Current(version, commit, date string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return Resolve(version, commit, date, bi)
}
