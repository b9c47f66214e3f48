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

// decodeInteraction reads the parts of an interaction payload (the HTTP
// form field "payload") that patchgate acts on into an InteractionCallback:
// type, team, user, channel, container, message timestamp, response URL and
// the actions. Slack sends the whole message with every click (every block,
// often several KB) and slack-go's own decoder builds all of it; the ack
// path decodes once, without the message's blocks, and hands the clicks to
// the pool. An action is a block action when its block_id is a string, as
// slack-go decides.
func decodeInteraction(payload []byte) (slack.InteractionCallback, error) {
	var ic slack.InteractionCallback
	if len(payload) == 0 {
		return ic, errNoPayload
	}
	var p interactionFields
	if err := json.Unmarshal(payload, &p); err != nil {
		return ic, fmt.Errorf("decode interaction payload: %w", err)
	}
	ic.Type = slack.InteractionType(p.Type)
	ic.Team.ID = p.Team.ID
	ic.User.ID = p.User.ID
	ic.Channel.ID = p.Channel.ID
	ic.Container.ChannelID = p.Container.ChannelID
	ic.Container.MessageTs = p.Container.MessageTs
	ic.Message.Timestamp = p.Message.Timestamp
	ic.ResponseURL = p.ResponseURL
	ic.ActionTs = p.ActionTs
	ic.TriggerID = p.TriggerID
	if v := p.View; v != nil {
		ic.View.ID, ic.View.Hash, ic.View.CallbackID, ic.View.PrivateMetadata = v.ID, v.Hash, v.CallbackID, v.PrivateMetadata
		if v.State != nil {
			ic.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
			for block, actions := range v.State.Values {
				ic.View.State.Values[block] = map[string]slack.BlockAction{}
				for id, a := range actions {
					ic.View.State.Values[block][id] = slack.BlockAction{ActionID: id, Value: a.Value}
				}
			}
		}
	}
	for _, raw := range p.Actions {
		var a struct {
			BlockID json.RawMessage `json:"block_id"`
		}
		if json.Unmarshal(raw, &a) != nil || len(a.BlockID) == 0 || a.BlockID[0] != '"' {
			continue // not a block action: nothing patchgate renders
		}
		var b blockActionFields
		if err := json.Unmarshal(raw, &b); err != nil {
			return ic, fmt.Errorf("decode interaction payload: %w", err)
		}
		ic.ActionCallback.BlockActions = append(ic.ActionCallback.BlockActions,
			&slack.BlockAction{ActionID: b.ActionID, Value: b.Value, ActionTs: b.ActionTs})
	}
	if ic.Type == slack.InteractionTypeBlockActions && ic.User.ID == "" {
		return ic, errors.New("a block action without a user")
	}
	return ic, nil
}

// interactionFields is the JSON of an interaction payload that
// decodeInteraction reads; everything else is skipped unread.
type interactionFields struct {
	Type string `json:"type"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		ChannelID string `json:"channel_id"`
		MessageTs string `json:"message_ts"`
	} `json:"container"`
	Message struct {
		Timestamp string `json:"ts"`
	} `json:"message"`
	ResponseURL string            `json:"response_url"`
	ActionTs    string            `json:"action_ts"`
	TriggerID   string            `json:"trigger_id"`
	Actions     []json.RawMessage `json:"actions"`
	View        *viewFields       `json:"view"`
}

// viewFields is what decodeInteraction reads of a view_submission's view:
// which view, and the input values.
type viewFields struct {
	ID              string `json:"id"`
	Hash            string `json:"hash"`
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	State           *struct {
		Values map[string]map[string]struct {
			Value string `json:"value"`
		} `json:"values"`
	} `json:"state"`
}

// blockActionFields is what decodeInteraction reads of a block action.
type blockActionFields struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	ActionTs string `json:"action_ts"`
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
	// TriggerID lets the click open a modal (within Slack's 3 seconds).
	TriggerID string
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
		c := click{Target: to, Team: ic.Team.ID, TriggerID: ic.TriggerID,
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
	if d.Action == runbooks.Dismiss {
		return h.openDismiss(ctx, c)
	}
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
