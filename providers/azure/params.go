package azure

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/providers/azure/settings"
)

// isoDuration writes d as the ISO 8601 duration installPatches expects
// (PT2H, PT1H30M).
func isoDuration(d time.Duration) string {
	h, m := int(d/time.Hour), int((d%time.Hour)/time.Minute)
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 || h == 0 {
		out += fmt.Sprintf("%dM", m)
	}
	return out
}

// isWindows guesses the OS family from the inventory's OS name (the guest
// agent's osName, the OS disk's osType or the Arc osSku/osName).
func isWindows(os string) bool { return strings.Contains(strings.ToLower(os), "windows") }

// classes keeps the configured classifications the OS family knows.
func classes[T ~string](configured, known []string) []*T {
	var out []*T
	for _, c := range configured {
		if slices.Contains(known, c) {
			out = append(out, to.Ptr(T(c)))
		}
	}
	return out
}

func (p *Provider) vmInstallParams(os string) armcompute.VirtualMachineInstallPatchesParameters {
	in := armcompute.VirtualMachineInstallPatchesParameters{
		MaximumDuration: to.Ptr(isoDuration(p.cfg.Patch.MaximumDuration)),
		RebootSetting:   to.Ptr(armcompute.VMGuestPatchRebootSetting(p.cfg.Patch.RebootSetting)),
	}
	if isWindows(os) {
		in.WindowsParameters = &armcompute.WindowsParameters{
			ClassificationsToInclude: classes[armcompute.VMGuestPatchClassificationWindows](p.cfg.Patch.Classifications, settings.WindowsClassifications)}
	} else {
		in.LinuxParameters = &armcompute.LinuxParameters{
			ClassificationsToInclude: classes[armcompute.VMGuestPatchClassificationLinux](p.cfg.Patch.Classifications, settings.LinuxClassifications)}
	}
	return in
}

func (p *Provider) arcInstallParams(os string) armhybridcompute.MachineInstallPatchesParameters {
	in := armhybridcompute.MachineInstallPatchesParameters{
		MaximumDuration: to.Ptr(isoDuration(p.cfg.Patch.MaximumDuration)),
		RebootSetting:   to.Ptr(armhybridcompute.VMGuestPatchRebootSetting(p.cfg.Patch.RebootSetting)),
	}
	if isWindows(os) {
		in.WindowsParameters = &armhybridcompute.WindowsParameters{
			ClassificationsToInclude: classes[armhybridcompute.VMGuestPatchClassificationWindows](p.cfg.Patch.Classifications, settings.WindowsClassifications)}
	} else {
		in.LinuxParameters = &armhybridcompute.LinuxParameters{
			ClassificationsToInclude: classes[armhybridcompute.VMGuestPatchClassificationLinux](p.cfg.Patch.Classifications, settings.LinuxClassifications)}
	}
	return in
}
