package bot

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// deployNotable: sensor deployment events worth a thread message.
func deployNotable(ev runbooks.Event) bool {
	switch ev.Type {
	case runbooks.EvDeployRequested, runbooks.EvDeployBatchDone, runbooks.EvDeployFailed, runbooks.EvDeployCompleted,
		runbooks.EvDeployRejected, runbooks.EvDeployRetry, runbooks.EvDeployValidation:
		return true
	}
	return false
}

// deployEventLine is a sensor deployment event's thread line, "" for others.
func deployEventLine(ev runbooks.Event) string {
	who, detail := userLink(ev.Actor), esc(clip(ev.Detail, 500))
	switch ev.Type {
	case runbooks.EvDeployRequested:
		l := fmt.Sprintf("🛡️ %s requested a %s", who, detail)
		for i, h := range strings.Split(ev.Data["hosts"], "\n") {
			if i == 20 {
				l += "\n• …"
				break
			}
			if h != "" {
				l += "\n• " + esc(clip(h, 300))
			}
		}
		return l
	case runbooks.EvDeployBatchSent:
		return fmt.Sprintf("📦 %s (`%s`)", detail, esc(clip(ev.Data["tag"], 80)))
	case runbooks.EvDeployBatchDone:
		l := "📦 " + detail
		if f := ev.Data["failed"]; f != "" {
			l += "\nFailed: " + esc(clip(f, 1000))
		}
		return l
	case runbooks.EvDeployInstalled:
		return "🔎 " + detail
	case runbooks.EvDeployValidation:
		l := "🔎 Validation: " + detail
		if f := ev.Data["failures"]; f != "" {
			l += "\n" + esc(clip(f, 2000))
		}
		return l
	case runbooks.EvDeployFailed:
		return "❌ Sensor deployment failed: " + detail
	case runbooks.EvDeployRetry:
		return fmt.Sprintf("🔁 %s retried the sensor deployment: %s", who, detail)
	case runbooks.EvDeployRejected:
		return fmt.Sprintf("⛔ %s rejected the sensor deployment", who)
	case runbooks.EvDeployCompleted:
		return "🎉 " + detail
	}
	return ""
}
