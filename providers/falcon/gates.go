package falcon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// PrePatch reports, before anything is installed: hosts Falcon does not
// know (no EDR coverage), sensors already in reduced-functionality mode,
// and Linux hosts whose pending kernel their sensor build does not support
// (override matrix first, then Falcon's supported-kernel list; a kernel
// Falcon does not list is unsupported).
func (c *Client) PrePatch(ctx context.Context, hs []runbooks.Host) ([]runbooks.Finding, error) {
	devs, err := c.Devices(ctx, hs)
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, h := range hs {
		if d, ok := devs[h.ID]; ok && h.PendingKernel != "" && isLinux(h, d) {
			targets = append(targets, h.PendingKernel)
		}
	}
	var kernels map[string][]Kernel
	if len(targets) > 0 {
		if kernels, err = c.Kernels(ctx, targets); err != nil {
			return nil, err
		}
	}
	var out []runbooks.Finding
	for _, h := range hs {
		d, ok := devs[h.ID]
		if !ok {
			out = append(out, finding(h, "no Falcon sensor: the host is not in Falcon (no EDR coverage)"))
			continue
		}
		if d.RFM() {
			out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s is already in reduced-functionality mode on kernel %s",
				d.AgentVersion, current(h, d))))
			continue
		}
		if h.PendingKernel == "" || !isLinux(h, d) {
			continue
		}
		if reason, ok := c.kernelSupported(h, d, kernels[h.PendingKernel]); !ok {
			out = append(out, finding(h, reason))
		}
	}
	c.log.Info("falcon pre-patch check", "hosts", len(hs), "findings", len(out))
	return out, nil
}

// kernelSupported decides whether d's sensor supports h's pending kernel;
// when not, it says why.
func (c *Client) kernelSupported(h runbooks.Host, d Device, listed []Kernel) (string, bool) {
	sensor, target := d.AgentVersion, h.PendingKernel
	if sensor == "" {
		sensor = h.SensorVersion
	}
	head := fmt.Sprintf("Falcon sensor %s does not support kernel %s (now %s, %s %s)",
		sensor, target, current(h, d), h.OS, h.OSVersion)
	if o, ok := c.override(h, sensor, target); ok {
		if o.Supported {
			return "", true
		}
		reason := o.Reason
		if reason == "" {
			reason = "pinned unsupported in the override matrix"
		}
		return head + ": " + reason + "; patching would leave the host in reduced-functionality mode", false
	}
	if len(listed) == 0 {
		return head + ": Falcon's supported-kernel list does not have this kernel; patching would leave the host in reduced-functionality mode", false
	}
	for _, k := range listed {
		if k.Supports(sensor) {
			return "", true
		}
	}
	return head + ": Falcon lists it for " + supportedBy(listed) + "; patching would leave the host in reduced-functionality mode", false
}

// PostPatch reports, after patching and reboot, hosts whose sensor is
// missing, not seen within the online window, or in reduced-functionality
// mode.
func (c *Client) PostPatch(ctx context.Context, hs []runbooks.Host) ([]runbooks.Finding, error) {
	devs, err := c.Devices(ctx, hs)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	var out []runbooks.Finding
	for _, h := range hs {
		d, ok := devs[h.ID]
		switch {
		case !ok:
			out = append(out, finding(h, "no Falcon sensor: the host is not in Falcon after patching"))
		case d.LastSeen.IsZero():
			out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s has never reported (no last_seen)", d.AgentVersion)))
		case now.Sub(d.LastSeen) > c.cfg.OnlineWindow:
			out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s is offline: last seen %s ago (%s), more than %s",
				d.AgentVersion, now.Sub(d.LastSeen).Round(time.Second), d.LastSeen.UTC().Format(time.RFC3339), c.cfg.OnlineWindow)))
		case d.RFM():
			out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s is in reduced-functionality mode on kernel %s after patching",
				d.AgentVersion, current(h, d))))
		}
	}
	c.log.Info("falcon post-patch check", "hosts", len(hs), "findings", len(out))
	return out, nil
}

// isLinux trusts Falcon's platform, else the inventory's OS name.
func isLinux(h runbooks.Host, d Device) bool {
	if d.Platform != "" {
		return strings.EqualFold(d.Platform, "Linux")
	}
	os := strings.ToLower(h.OS)
	return !strings.Contains(os, "windows") && !strings.Contains(os, "mac")
}

// current is the host's running kernel as Falcon sees it, else inventory's.
func current(h runbooks.Host, d Device) string {
	if d.KernelVersion != "" {
		return d.KernelVersion
	}
	if h.Kernel != "" {
		return h.Kernel
	}
	return "unknown"
}

func finding(h runbooks.Host, reason string) runbooks.Finding {
	return runbooks.Finding{HostID: h.ID, HostName: h.Name, Reason: reason}
}
