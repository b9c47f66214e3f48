package main

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// tenantsYAML writes tenants as the configuration's tenants section, for
// configurations generated from a simulated fleet (the demo, tests).
func tenantsYAML(tenants []runbooks.Tenant) string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, tn := range tenants {
		fmt.Fprintf(&b, "  - name: %s\n", tn.Name)
		if tn.Display != "" {
			fmt.Fprintf(&b, "    display: %q\n", tn.Display)
		}
		b.WriteString("    environments:\n")
		for _, env := range tn.Environments {
			fmt.Fprintf(&b, "      %s:\n        targets:\n", env.Name)
			for _, tg := range env.Targets {
				fmt.Fprintf(&b, "          - {cloud: %s, account: %q, regions: [%s]", tg.Cloud, tg.Account, strings.Join(tg.Regions, ", "))
				if len(tg.Groups) > 0 {
					fmt.Fprintf(&b, ", groups: [%s]", strings.Join(tg.Groups, ", "))
				}
				b.WriteString("}\n")
			}
		}
	}
	return b.String()
}
