package aws

import "testing"

func TestKernelRelease(t *testing.T) {
	for title, want := range map[string]string{
		"kernel.x86_64:0:6.1.115-126.197.amzn2023":   "6.1.115-126.197.amzn2023.x86_64",
		"kernel-core.x86_64:0:5.14.0-427.13.1.el9_4": "5.14.0-427.13.1.el9_4.x86_64",
		"kernel.aarch64:0:4.14.355-275.570.amzn2":    "4.14.355-275.570.amzn2.aarch64",
		"linux-image-5.15.0-105-generic":             "5.15.0-105-generic",
		"kernel-devel.x86_64:0:5.14.0-427.el9":       "",
		"kernel-headers.x86_64:0:6.1.115-126":        "",
		"openssl-libs.x86_64:1:3.0.7-27.el9":         "",
		"linux-image-generic":                        "",
		"KB5034441":                                  "",
	} {
		if got := kernelRelease(title); got != want {
			t.Errorf("kernelRelease(%q) = %q, want %q", title, got, want)
		}
	}
}
