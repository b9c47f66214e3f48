package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// ActionPrefix starts the action_id of every button patchgate renders;
// other actions (another app's, a link button) are ignored.
const ActionPrefix = "patchgate."

// errNoPayload: an interaction request without its payload field.
var errNoPayload = errors.New("no payload")

// decodeInteraction decodes the JSON of an interaction payload (the HTTP
// form field "payload", or a Socket Mode envelope's payload).
func decodeInteraction(payload []byte) (slack.InteractionCallback, error) {
	if len(payload) == 0 {
		return slack.InteractionCallback{}, errNoPayload
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal(payload, &ic); err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("decode interaction payload: %w", err)
	}
	return ic, nil
}

// interactionHead is what the ack path reads of an interaction payload:
// enough to refuse one that is not JSON or a block action without a user.
type interactionHead struct {
	Type string `json:"type"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
}

// peekInteraction checks an interaction payload cheaply before the ack.
func peekInteraction(payload []byte) (interactionHead, error) {
	var head interactionHead
	if len(payload) == 0 {
		return head, errNoPayload
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return head, fmt.Errorf("decode interaction payload: %w", err)
	}
	if head.Type == string(slack.InteractionTypeBlockActions) && head.User.ID == "" {
		return head, errors.New("a block action without a user")
	}
	return head, nil
}

// click is one press of a patchgate button.
type click struct {
	Decision runbooks.Decision
	Target   Target
	Team     string
	// ID names the click stably: the same click redelivered carries the
	// same message, action time and user; a second click does not.
	ID string
	// Err is set when the button's value could not be read; the person is
	// told so and nothing is decided.
	Err error
}

// clicksOf picks the patchgate button presses out of an interaction. The
// actor is the clicking user: authority comes from who clicked, never from
// the channel the message is in.
func clicksOf(ic slack.InteractionCallback) []click {
	if ic.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	to := Target{ResponseURL: ic.ResponseURL, ChannelID: firstNonEmpty(ic.Container.ChannelID, ic.Channel.ID), UserID: ic.User.ID}
	msgTS := firstNonEmpty(ic.Container.MessageTs, ic.Message.Timestamp)
	var out []click
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil || !strings.HasPrefix(a.ActionID, ActionPrefix) || isDailyAction(a.ActionID) {
			continue
		}
		c := click{Target: to, Team: ic.Team.ID,
			ID: interactionID(msgTS, firstNonEmpty(a.ActionTs, ic.ActionTs), ic.User.ID, a.ActionID)}
		v, err := DecodeButtonValue(a.Value)
		if err != nil {
			c.Err = err
		} else {
			c.Decision = runbooks.Decision{
				Cycle: v.Cycle, Stage: v.Stage, Action: v.Action, Actor: ic.User.ID,
				SeenRevision: v.Revision, InteractionID: c.ID,
			}
		}
		out = append(out, c)
	}
	return out
}

// interactionID names one click stably across redeliveries.
func interactionID(messageTS, actionTS, user, actionID string) string {
	return "slack:" + messageTS + ":" + actionTS + ":" + user + ":" + actionID
}

// decide applies one click and returns the text of the clicker's reply.
func (h *Handler) decide(ctx context.Context, c click) string {
	if c.Err != nil {
		h.log.Warn("unreadable button value", "user", c.Target.UserID, "err", c.Err)
		return "This button could not be read, so nothing was changed. Use the buttons on the cycle's latest message."
	}
	d := c.Decision
	out, err := h.engine.Decide(ctx, d)
	if err != nil {
		return h.refusal(err, "decide", "cycle", d.Cycle, "stage", d.Stage, "action", string(d.Action), "user", d.Actor)
	}
	return outcomeText(out)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
