package gcp

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// isZone tells a zone ("us-central1-a") from a region ("us-central1"):
// zone names end in a dash and one letter.
func isZone(s string) bool {
	i := strings.LastIndexByte(s, '-')
	return i > 0 && len(s)-i == 2 && s[i+1] >= 'a' && s[i+1] <= 'z'
}

// regionOf is the region a zone belongs to.
func regionOf(zone string) string {
	if !isZone(zone) {
		return zone
	}
	return zone[:strings.LastIndexByte(zone, '-')]
}

// inScope reports whether zone is one of the target's zones, or in one of
// its regions; no entries means every zone.
func inScope(zone string, regions []string) bool {
	if len(regions) == 0 {
		return true
	}
	for _, r := range regions {
		if r == zone || (!isZone(r) && regionOf(zone) == r) {
			return true
		}
	}
	return false
}

// last is the final segment of a resource URL or name
// (".../zones/us-central1-a" → "us-central1-a").
func last(s string) string { return path.Base(s) }

// short hashes s to n hex characters: a stable, collision-resistant suffix
// for names that must fit GCP's 63-character limits.
func short(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// labelValue turns s into a valid GCP label value (lowercase letters,
// digits, '-' and '_', at most 63 characters). A value that had to change
// gets a hash of the original appended, so two different tags never
// sanitise to the same label.
func labelValue(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	v := b.String()
	if v == s && len(v) <= 63 {
		return v
	}
	if len(v) > 54 {
		v = v[:54]
	}
	return v + "-" + short(s, 8)
}

// resourceName turns s into a valid Compute resource name
// ([a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters) starting with prefix.
func resourceName(prefix, s, unique string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	mid := b.String()
	if max := 63 - len(prefix) - 2 - 10; len(mid) > max {
		mid = mid[:max]
	}
	return prefix + "-" + mid + "-" + short(unique, 10)
}
