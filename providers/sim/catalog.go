package sim

import (
	"strconv"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// image is one operating system the sim installs, with the kernels a host of
// it may run now and the kernel the pending patches would install.
type image struct {
	os, version string
	linux       bool
	kernels     []string // current kernels, older than pending
	pending     string   // "" when patches do not replace the kernel
	weight      int      // relative share of hosts
	awsOnly     bool
}

var images = []image{
	{os: "Amazon Linux", version: "2023", linux: true, weight: 3, awsOnly: true,
		kernels: []string{"6.1.102-111.182.amzn2023.x86_64", "6.1.109-118.189.amzn2023.x86_64"},
		pending: "6.1.115-126.197.amzn2023.x86_64"},
	rhel8,
	rhel9,
	{os: "Ubuntu", version: "22.04", linux: true, weight: 2,
		kernels: []string{"5.15.0-119-generic", "5.15.0-122-generic"},
		pending: "5.15.0-125-generic"},
	{os: "Microsoft Windows Server 2022 Datacenter", version: "10.0.20348", weight: 2,
		kernels: []string{"10.0.20348.2655", "10.0.20348.2700"}},
}

var (
	rhel8 = image{os: "Red Hat Enterprise Linux", version: "8.10", linux: true, weight: 2,
		kernels: []string{"4.18.0-553.16.1.el8_10.x86_64", "4.18.0-553.22.1.el8_10.x86_64"},
		pending: "4.18.0-553.27.1.el8_10.x86_64"}
	rhel9 = image{os: "Red Hat Enterprise Linux", version: "9.4", linux: true, weight: 2,
		kernels: []string{"5.14.0-427.31.1.el9_4.x86_64", "5.14.0-427.37.1.el9_4.x86_64"},
		pending: "5.14.0-427.42.1.el9_4.x86_64"}
)

// Falcon sensor builds. Generated hosts run one of the current builds; a
// repaired host gets the latest.
var (
	linuxSensors   = []string{"7.17.18721", "7.18.18803", "7.19.18913"}
	windowsSensors = []string{"7.18.18911", "7.19.19003"}
	latestSensor   = "7.20.19113"
)

// newKernels are kernels offered to KernelMismatch hosts, each with the
// oldest sensor build that supports it. Kernels not listed here are
// supported by every build the sim generates.
var newKernels = map[string]struct{ kernel, minSensor string }{
	"8": {"4.18.0-553.34.1.el8_10.x86_64", latestSensor},
	"9": {"5.14.0-503.21.1.el9_5.x86_64", latestSensor},
}

// minSensor returns the oldest sensor build supporting kernel, or "".
func minSensor(kernel string) string {
	for _, k := range newKernels {
		if k.kernel == kernel {
			return k.minSensor
		}
	}
	return ""
}

// supports reports whether sensor build v runs fully on kernel.
func supports(v, kernel string) bool {
	min := minSensor(kernel)
	return min == "" || compareVersions(v, min) >= 0
}

// compareVersions compares dotted numeric versions.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func isRHEL(h runbooks.Host) bool { return h.OS == rhel8.os }

// rhelMajor returns "8" or "9" for a RHEL host.
func rhelMajor(h runbooks.Host) string {
	if strings.HasPrefix(h.OSVersion, "8") {
		return "8"
	}
	return "9"
}

// Default regions per cloud, used when a target names none.
var defaultRegion = map[runbooks.Cloud]string{
	runbooks.AWS: "us-east-1", runbooks.Azure: "eastus", runbooks.GCP: "us-central1-a",
}

// Per-cloud wording of the tools and their failures.
var (
	patchTool = map[runbooks.Cloud]string{
		runbooks.AWS: "AWS-RunPatchBaseline", runbooks.Azure: "Azure Update Manager", runbooks.GCP: "OS Config patch job",
	}
	backupFailure = map[runbooks.Cloud]string{
		runbooks.AWS:   "CreateImage failed: InternalError (snapshot of the root volume did not complete)",
		runbooks.Azure: "OS disk snapshot failed: OperationNotAllowed (disk is being resized)",
		runbooks.GCP:   "disk snapshot failed: RESOURCE_EXHAUSTED (snapshot quota reached)",
	}
)

var roles = []string{"web", "app", "db"}
