package falcon

import (
	"fmt"
	"slices"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestConstraint(t *testing.T) {
	cases := []struct {
		c, v string
		want bool
	}{
		{"", "anything", true},
		{">3.10.0-1160", "3.10.0-1160.125.1.el7.x86_64", true},
		{">3.10.0-1160", "3.10.0-1160.el7.x86_64", false},
		{">3.10.0-1160", "3.10.0-1127.el7.x86_64", false},
		{">=4.18.0-477 <4.18.0-513", "4.18.0-477.10.1.el8_8.x86_64", true},
		{">=4.18.0-477 <4.18.0-513", "4.18.0-513.5.1.el8_9.x86_64", false},
		{"6.x", "6.58.16407", true},
		{"6.x", "7.19.18913", false},
		{"6.*", "6.0", true},
		{"7.19.x", "7.19.18913.0", true},
		{"<7.0", "6.99.1", true},
		{"5.14.0-427*", "5.14.0-427.42.1.el9_4.x86_64", true},
		{"5.14.0-427*", "5.14.0-503.21.1.el9_5.x86_64", false},
		{"7.20.19113", "7.20.19113.0", true},
		{"!=7.20.19113", "7.20.19114", true},
	}
	for _, tc := range cases {
		c, err := parseConstraint(tc.c)
		if err != nil {
			t.Fatalf("%q: %v", tc.c, err)
		}
		if got := c.matches(tc.v); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.c, tc.v, got, tc.want)
		}
	}
}

func TestOSAlias(t *testing.T) {
	cases := []struct {
		os   string
		h    runbooks.Host
		want bool
	}{
		{"rhel7", runbooks.Host{OS: "Red Hat Enterprise Linux", OSVersion: "7.9"}, true},
		{"rhel7", runbooks.Host{OS: "Red Hat Enterprise Linux", OSVersion: "8.10"}, false},
		{"rhel8", runbooks.Host{OS: "RHEL 8"}, true},
		{"amzn2023", runbooks.Host{OS: "Amazon Linux", OSVersion: "2023"}, true},
		{"amzn2", runbooks.Host{OS: "Amazon Linux", OSVersion: "2023"}, false},
		{"ubuntu22", runbooks.Host{OS: "Ubuntu", OSVersion: "22.04"}, true},
		{"centos7", runbooks.Host{OS: "Red Hat Enterprise Linux", OSVersion: "7.9"}, false},
		{"Ubuntu 2[02]", runbooks.Host{OS: "Ubuntu", OSVersion: "22.04"}, true},
	}
	for _, tc := range cases {
		m, err := osMatcher(tc.os)
		if err != nil {
			t.Fatal(err)
		}
		if got := m(tc.h); got != tc.want {
			t.Errorf("%q on %s %s = %v, want %v", tc.os, tc.h.OS, tc.h.OSVersion, got, tc.want)
		}
	}
}

func TestFilterBatches(t *testing.T) {
	var short, long []string
	for i := range 250 {
		short = append(short, fmt.Sprintf("i-%017d", i))
	}
	for i := range 60 {
		long = append(long, fmt.Sprintf("/subscriptions/%036d/resourceGroups/rg-payments-prod/providers/Microsoft.Compute/virtualMachines/vm-%d", i, i))
	}
	for name, tc := range map[string]struct {
		in   []string
		want []int
	}{
		"by count": {short, []int{100, 100, 50}},
		"by bytes": {long, nil},
		"empty":    {nil, []int{}},
	} {
		var sizes []int
		total := 0
		for b := range filterBatches(tc.in) {
			if len(fqlAny("instance_id", b)) > maxFilterBytes+20 {
				t.Errorf("%s: filter of %d bytes", name, len(fqlAny("instance_id", b)))
			}
			sizes = append(sizes, len(b))
			total += len(b)
		}
		if total != len(tc.in) {
			t.Errorf("%s: batches hold %d of %d values", name, total, len(tc.in))
		}
		if tc.want != nil && !slices.Equal(sizes, tc.want) && !(len(tc.want) == 0 && len(sizes) == 0) {
			t.Errorf("%s: batches %v, want %v", name, sizes, tc.want)
		}
		if name == "by bytes" && len(sizes) < 2 {
			t.Errorf("long IDs in one batch: %v", sizes)
		}
	}
}
