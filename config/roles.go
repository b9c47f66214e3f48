package config

import "gopkg.in/yaml.v3"

// tierRole is what a pipeline tier is, whatever it is called.
type tierRole struct{ production, staging bool }

// tierRoles reads the roles of the pipeline's items before they are
// decoded, because a tier's defaults depend on its role: the tiers that
// declare production: true, else the last one, are production; the tiers
// that declare staging: true, else the one before the first production
// tier unless it is the first tier, are staging. A two-tier pipeline has no
// staging: its first tier is where patches land first, not a rehearsal.
func tierRoles(n *yaml.Node) []tierRole {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil
	}
	roles := make([]tierRole, len(n.Content))
	anyProd, anyStaging := false, false
	for i, item := range n.Content {
		roles[i].production = declared(item, "production")
		roles[i].staging = declared(item, "staging")
		anyProd = anyProd || roles[i].production
		anyStaging = anyStaging || roles[i].staging
	}
	if !anyProd {
		roles[len(roles)-1].production = true
	}
	if anyStaging {
		return roles
	}
	for i, r := range roles {
		if r.production {
			if i > 1 {
				roles[i-1].staging = true
			}
			break
		}
	}
	return roles
}

// declared reports whether a tier's mapping sets key to true. A value that
// is not a boolean reads as false here; decoding reports it.
func declared(item *yaml.Node, key string) bool {
	item = deref(item)
	if item == nil || item.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := deref(item.Content[i]), deref(item.Content[i+1])
		if k.Value != key || v == nil || v.Kind != yaml.ScalarNode {
			continue
		}
		var b bool
		if v.Decode(&b) == nil {
			return b
		}
	}
	return false
}
