package config

import "strings"

// suggest returns the candidate word most likely meant, if one is close
// enough to be a typo: within a third of its length in edit distance, after
// ignoring case, '_' and '-' (so leaseTTL finds lease_ttl).
func suggest(word string, candidates []string) (string, bool) {
	if len(word) > 64 {
		return "", false // not a typo of a short key; spare the quadratic work
	}
	w := fold(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		dist := editDistance(w, fold(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := max(1, len(fold(best))/3)
	return best, bestDist >= 0 && bestDist <= limit
}

func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// editDistance is the Levenshtein distance between a and b, in bytes: keys
// and enum values are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
