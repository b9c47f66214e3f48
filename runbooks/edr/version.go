package edr

import (
	"strconv"
	"strings"
)

// Older reports whether sensor version a is below b, comparing dotted
// numeric parts (7.10.17706 < 7.11.1); a missing part counts as 0, and a
// part that is not a number compares as text.
func Older(a, b string) bool { return compareVersions(a, b) < 0 }

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := part(as, i), part(bs, i)
		xn, xerr := strconv.Atoi(x)
		yn, yerr := strconv.Atoi(y)
		switch {
		case xerr == nil && yerr == nil && xn != yn:
			if xn < yn {
				return -1
			}
			return 1
		case (xerr != nil || yerr != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func part(p []string, i int) string {
	if i < len(p) && p[i] != "" {
		return p[i]
	}
	return "0"
}
