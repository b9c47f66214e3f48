package config

import "gopkg.in/yaml.v3"

// maxNodes bounds the document as the decoder sees it, aliases expanded. A
// real configuration is a few thousand nodes; nested aliases can make a few
// hundred bytes expand to billions.
const maxNodes = 100_000

// aliases refuses what would make following aliases unsafe: an alias inside
// the node it names (yaml.v3 builds that cycle for "&a [*a]") and an
// expansion beyond maxNodes. It reports false after adding the problem.
func (d *decoder) aliases(doc *yaml.Node) bool {
	const visiting = -1
	size := map[*yaml.Node]int{} // expanded size of each finished node
	var count func(n *yaml.Node) bool
	count = func(n *yaml.Node) bool {
		if _, done := size[n]; done {
			return true
		}
		size[n] = visiting
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if size[n.Alias] == visiting {
				d.add(n, "", "alias *%s is used inside the node it names", n.Value)
				return false
			}
			if !count(n.Alias) {
				return false
			}
			total = size[n.Alias]
		}
		for _, c := range n.Content {
			if !count(c) {
				return false
			}
			total += size[c]
			if total > maxNodes {
				d.add(n, "", "the document expands to more than %d values; are aliases nested in aliases?", maxNodes)
				return false
			}
		}
		size[n] = total
		return true
	}
	return count(doc)
}
