package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks/edr"
)

// CmdSensors shows EDR sensor coverage (runbooks/edr).
const CmdSensors Subcommand = "sensors"

const (
	sensorsArgs    = "[tenant] | validate <tenant> [env] | deploy <tenant> <env> [host…]"
	sensorsSummary = "EDR (Falcon) sensor coverage per tenant and environment: hosts without a registered sensor, outdated (below the tier's minimum or the update policy's target) or in reduced-functionality mode, each with its fix and the sources read; `validate` checks each host's registration (instance ID), host group, prevention and sensor-update policies, version and RFM against edr.tiers; `deploy` requests a sensor deployment (install or upgrade through each cloud's agent, then validation) to the named hosts, or to every host coverage finds without a current sensor, which the environment's approvers approve on its message"
)

// SensorCommands answers /patch sensors; the CLI calls the same method
// (runbooks/edr.Service).
type SensorCommands interface {
	Command(ctx context.Context, args []string) (string, error)
}

var (
	_ SensorCommands = (*edr.Service)(nil)
	_ edr.Chat       = (*DailyChat)(nil)
)

// sensorsCommand runs /patch sensors for user.
func (h *Handler) sensorsCommand(ctx context.Context, cmd Command, user string) string {
	if h.opts.Sensors == nil && cmd.Args != sensorsDeployWord {
		return "EDR sensor coverage is not configured on this patchgate (providers.falcon, or the simulation)."
	}
	if cmd.Args == sensorsDeployWord {
		return h.sensorDeploy(ctx, cmd, user)
	}
	args := strings.Fields(cmd.Args)
	text, err := h.opts.Sensors.Command(ctx, args)
	switch {
	case err != nil && text != "":
		h.log.Warn("/patch sensors finished with errors", "user", user, "err", err)
	case err != nil:
		return h.refusal(err, "run /patch sensors", "user", user)
	}
	return text
}

// PostSensorCoverage implements edr.Chat: the daily coverage digest.
func (c *DailyChat) PostSensorCoverage(ctx context.Context, cov edr.Coverage) error {
	text := edr.CoverageText(cov)
	_, err := c.post(ctx, "post the sensor coverage digest", message{Text: clip(text, maxSectionChars),
		Blocks: slack.Blocks{BlockSet: slaBlocks(text)}})
	return err
}
