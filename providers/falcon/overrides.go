package falcon

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// KernelOverride pins whether sensor builds support kernels, for cases
// Falcon's kernel list lags or is wrong. The first override matching a
// host's OS, target kernel and sensor build decides, before the API.
//
// Example: RHEL 7 kernels above 3.10.0-1160 with sensor 6.x are unsupported:
//
//	{OS: "rhel7", Kernel: ">3.10.0-1160", Sensor: "6.x", Supported: false,
//	 Reason: "6.x sensors lack the eBPF backend for these kernels"}
type KernelOverride struct {
	// OS is a distro alias (rhel7, rhel8, centos7, amzn2, amzn2023,
	// ubuntu22 …: family and major version) or else a case-insensitive
	// regular expression matched against "<OS> <OSVersion>" of the host.
	// Empty matches every Linux host.
	OS string `json:"os,omitempty" yaml:"os,omitempty"`
	// Kernel constrains the target kernel: ">3.10.0-1160",
	// ">=4.18.0-477 <4.18.0-513", "5.14.0-427*" (text prefix), "5.x".
	Kernel string `json:"kernel,omitempty" yaml:"kernel,omitempty"`
	// Sensor constrains the sensor build: "6.x", "<7.0", ">=7.10 <7.14".
	Sensor    string `json:"sensor,omitempty" yaml:"sensor,omitempty"`
	Supported bool   `json:"supported" yaml:"supported"`
	Reason    string `json:"reason,omitempty" yaml:"reason,omitempty"`
}

type compiledOverride struct {
	KernelOverride
	os     func(runbooks.Host) bool
	kernel constraint
	sensor constraint
}

// distro families by alias prefix: what the host's OS name looks like.
var families = map[string]*regexp.Regexp{
	"rhel":   regexp.MustCompile(`(?i)red\s*hat|\brhel\b`),
	"centos": regexp.MustCompile(`(?i)centos`),
	"ol":     regexp.MustCompile(`(?i)oracle`),
	"rocky":  regexp.MustCompile(`(?i)rocky`),
	"alma":   regexp.MustCompile(`(?i)alma`),
	"amzn":   regexp.MustCompile(`(?i)amazon|\bamzn\b`),
	"ubuntu": regexp.MustCompile(`(?i)ubuntu`),
	"debian": regexp.MustCompile(`(?i)debian`),
	"sles":   regexp.MustCompile(`(?i)suse|\bsles\b`),
}

var aliasRE = regexp.MustCompile(`^([a-z]+?)(\d+)$`)

func compileOverrides(in []KernelOverride) ([]compiledOverride, error) {
	out := make([]compiledOverride, 0, len(in))
	for i, o := range in {
		c := compiledOverride{KernelOverride: o}
		var err error
		if c.os, err = osMatcher(o.OS); err != nil {
			return nil, fmt.Errorf("falcon override %d: %w", i+1, err)
		}
		if c.kernel, err = parseConstraint(o.Kernel); err != nil {
			return nil, fmt.Errorf("falcon override %d kernel: %w", i+1, err)
		}
		if c.sensor, err = parseConstraint(o.Sensor); err != nil {
			return nil, fmt.Errorf("falcon override %d sensor: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// osMatcher builds the OS test of an override.
func osMatcher(s string) (func(runbooks.Host) bool, error) {
	if s == "" {
		return func(runbooks.Host) bool { return true }, nil
	}
	if m := aliasRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		if fam, ok := families[m[1]]; ok {
			major := m[2]
			return func(h runbooks.Host) bool {
				return fam.MatchString(h.OS) && osMajor(h) == major
			}, nil
		}
	}
	re, err := regexp.Compile("(?i)" + s)
	if err != nil {
		return nil, fmt.Errorf("os %q: neither a distro alias nor a regular expression: %w", s, err)
	}
	return func(h runbooks.Host) bool { return re.MatchString(h.OS + " " + h.OSVersion) }, nil
}

// osMajor is the major version of a host's OS: from OSVersion ("7.9" → 7,
// "22.04" → 22, "2023" → 2023), else the first number in the OS name.
func osMajor(h runbooks.Host) string {
	for _, s := range []string{h.OSVersion, h.OS} {
		if m := firstNumber.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

var firstNumber = regexp.MustCompile(`\d+`)

// override returns the first override deciding host h with sensor build
// sensor going to kernel target.
func (c *Client) override(h runbooks.Host, sensor, target string) (compiledOverride, bool) {
	for _, o := range c.overrides {
		if o.os(h) && o.kernel.matches(target) && o.sensor.matches(sensor) {
			return o, true
		}
	}
	return compiledOverride{}, false
}
