package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// DailyChecks is what /patch saml, /patch drift and /patch digest run on
// demand, and the MOP-tick and drift-decision buttons act on: the daily
// checks (runbooks/daily) with their results rendered as the person's
// ephemeral reply (DailyReplies). Errors carry runbooks error codes.
type DailyChecks interface {
	SAMLCheck(ctx context.Context) (string, error)
	DriftReport(ctx context.Context) (string, error)
	StatusDigest(ctx context.Context) (string, error)
	TickStep(ctx context.Context, fingerprint, step, actor string) (string, error)
	DecideDrift(ctx context.Context, item, decision, actor string) (string, error)
}

// Daily-check button action IDs. They share ActionPrefix but carry their own
// values (not a cycle ButtonValue), so clicksOf leaves them to dailyClicksOf.
const (
	ActionSAMLTick       = "patchgate.saml-tick"
	ActionDriftRatify    = "patchgate.drift-ratify"
	ActionDriftRemediate = "patchgate.drift-remediate"
)

func isDailyAction(id string) bool {
	return id == ActionSAMLTick || id == ActionDriftRatify || id == ActionDriftRemediate
}

// tickValue is a MOP step button's value.
type tickValue struct {
	Fingerprint string `json:"f"`
	Step        string `json:"s"`
}

// driftValue is a Ratify/Remediate button's value.
type driftValue struct {
	Item string `json:"i"`
}

// dailyClick is one press of a daily-check button.
type dailyClick struct {
	ActionID string
	Value    string
	Actor    string
	Target   Target
	Team     string
	ID       string
}

// dailyClicksOf picks the daily-check button presses out of an interaction;
// like clicksOf, the actor is the clicking user.
func dailyClicksOf(ic slack.InteractionCallback) []dailyClick {
	if ic.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	to := Target{ResponseURL: ic.ResponseURL, ChannelID: firstNonEmpty(ic.Container.ChannelID, ic.Channel.ID), UserID: ic.User.ID}
	msgTS := firstNonEmpty(ic.Container.MessageTs, ic.Message.Timestamp)
	var out []dailyClick
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil || !isDailyAction(a.ActionID) {
			continue
		}
		out = append(out, dailyClick{ActionID: a.ActionID, Value: a.Value, Actor: ic.User.ID, Target: to, Team: ic.Team.ID,
			ID: interactionID(msgTS, firstNonEmpty(a.ActionTs, ic.ActionTs), ic.User.ID, a.ActionID+":"+a.Value)})
	}
	return out
}

// dailyClick applies one daily-check click and returns the clicker's reply.
func (h *Handler) dailyClick(ctx context.Context, c dailyClick) string {
	hy := h.opts.Daily
	if hy == nil {
		return "The SAML and drift runbooks are not configured on this patchgate."
	}
	var (
		text string
		err  error
	)
	switch c.ActionID {
	case ActionSAMLTick:
		var v tickValue
		if json.Unmarshal([]byte(c.Value), &v) != nil || v.Fingerprint == "" || v.Step == "" {
			return "This button could not be read, so nothing was ticked. Use the buttons on the runbook's latest message."
		}
		text, err = hy.TickStep(ctx, v.Fingerprint, v.Step, c.Actor)
	default:
		var v driftValue
		if json.Unmarshal([]byte(c.Value), &v) != nil || v.Item == "" {
			return "This button could not be read, so nothing was decided. Use the buttons on the latest drift report."
		}
		decision := "ratify"
		if c.ActionID == ActionDriftRemediate {
			decision = "remediate"
		}
		text, err = hy.DecideDrift(ctx, v.Item, decision, c.Actor)
	}
	if err != nil {
		return h.refusal(err, "daily-check click", "action", c.ActionID, "user", c.Actor)
	}
	return text
}

// dailyCommand runs /patch saml, drift or digest for the person.
func (h *Handler) dailyCommand(ctx context.Context, name Subcommand, user string) string {
	hy := h.opts.Daily
	if hy == nil {
		return fmt.Sprintf("`/patch %s` is not configured on this patchgate (no saml/drift sections).", name)
	}
	// A drift report runs terraform in every workspace and may outlast the
	// handler's JobTimeout: it gets dailyTimeout instead, but still stops
	// when the handler's shutdown drain cancels its work.
	long, cancel := context.WithTimeout(context.WithoutCancel(ctx), dailyTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()
	ctx = long
	var (
		text string
		err  error
	)
	switch name {
	case CmdSAML:
		text, err = hy.SAMLCheck(ctx)
	case CmdDrift:
		text, err = hy.DriftReport(ctx)
	default:
		text, err = hy.StatusDigest(ctx)
	}
	switch {
	case err != nil && text != "":
		// The run happened; what failed in it is summarised in text.
		h.log.Warn("/patch "+string(name)+" finished with errors", "user", user, "err", err)
	case err != nil:
		return h.refusal(err, "run /patch "+string(name), "user", user)
	}
	return text
}

// dailyTimeout bounds an on-demand SAML check or drift report.
const dailyTimeout = 15 * time.Minute

// EncodeTickValue and EncodeDriftValue build the daily-check buttons' values.
func EncodeTickValue(fingerprint, step string) string {
	b, _ := json.Marshal(tickValue{Fingerprint: fingerprint, Step: step})
	return string(b)
}

// EncodeDriftValue builds a Ratify/Remediate button's value.
func EncodeDriftValue(item string) string {
	b, _ := json.Marshal(driftValue{Item: item})
	return string(b)
}
