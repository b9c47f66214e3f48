package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// PrePatch reports hosts whose EDR sensor does not support the kernel their
// pending patches would install, or is already in reduced-functionality
// mode. Hosts are judged as the fleet sees them now (a repair since the
// inventory counts); a host the fleet does not know is judged as given. A
// host without a sensor has nothing to lose and is not reported here (the
// inventory gate counts it).
func (f *Fleet) PrePatch(ctx context.Context, hosts []runbooks.Host) ([]runbooks.Finding, error) {
	var out []runbooks.Finding
	err := f.call(ctx, MethodPrePatch, func(int) error {
		now := f.now()
		for _, given := range hosts {
			h := f.live(given, now)
			switch {
			case !h.HasSensor:
			case h.SensorRFM:
				out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s is already in reduced-functionality mode on kernel %s", h.SensorVersion, h.Kernel)))
			case h.PendingKernel != "" && !supports(h.SensorVersion, h.PendingKernel):
				out = append(out, finding(h, fmt.Sprintf(
					"Falcon sensor %s does not support kernel %s (%s %s; needs sensor %s or later): patching would leave the host in reduced-functionality mode",
					h.SensorVersion, h.PendingKernel, h.OS, h.OSVersion, minSensor(h.PendingKernel))))
			}
		}
		return nil
	})
	return out, err
}

// PostPatch reports hosts whose sensor is in reduced-functionality mode.
func (f *Fleet) PostPatch(ctx context.Context, hosts []runbooks.Host) ([]runbooks.Finding, error) {
	var out []runbooks.Finding
	err := f.call(ctx, MethodPostPatch, func(int) error {
		now := f.now()
		for _, given := range hosts {
			h := f.live(given, now)
			if h.HasSensor && h.SensorRFM {
				out = append(out, finding(h, fmt.Sprintf("Falcon sensor %s is in reduced-functionality mode on kernel %s after patching", h.SensorVersion, h.Kernel)))
			}
		}
		return nil
	})
	return out, err
}

// live is the fleet's current view of a host a caller passed in, or the host
// as given when the fleet does not know its ID. The caller holds f.mu.
func (f *Fleet) live(given runbooks.Host, now time.Time) runbooks.Host {
	if i, ok := f.w.byID[given.ID]; ok {
		return f.view(i, now)
	}
	return given
}

func finding(h runbooks.Host, reason string) runbooks.Finding {
	return runbooks.Finding{HostID: h.ID, HostName: h.Name, Reason: reason}
}
