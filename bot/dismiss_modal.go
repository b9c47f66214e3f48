package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// A remediation card's Dismiss button opens a modal asking for the reason
// (a button cannot carry one); submitting it dismisses through the same
// decision as `/patch dismiss <RM-id> <reason…>` (decideByCommand).
const (
	// dismissCallbackID names the modal's view_submission.
	dismissCallbackID = "patchgate.dismiss-reason"
	// dismissReasonBlock and dismissReasonAction hold the reason's input.
	dismissReasonBlock  = "reason"
	dismissReasonAction = "reason"
	// maxDismissReason matches what the card shows of a dismissal.
	maxDismissReason = 500
	// triggerLifetime is how long Slack accepts a click's trigger_id.
	triggerLifetime = 3 * time.Second
)

// ViewOpener opens a modal (Slack's views.open); *slack.Client is one.
type ViewOpener interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

var _ ViewOpener = (*slack.Client)(nil)

// dismissMeta is the modal's private_metadata: which remediation, at which
// revision of its card, and where the clicker is (the submission carries
// no channel and no response_url).
type dismissMeta struct {
	Remediation string `json:"rm"`
	Revision    int64  `json:"rev"`
	Channel     string `json:"ch"`
}

// dismissModal is the view the Dismiss button opens.
func dismissModal(m dismissMeta) slack.ModalViewRequest {
	meta, _ := json.Marshal(m)
	input := slack.NewPlainTextInputBlockElement(plain("Why is no patch needed? (audited)"), dismissReasonAction)
	input.Multiline = true
	input.MaxLength = maxDismissReason
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      dismissCallbackID,
		PrivateMetadata: string(meta),
		Title:           plain("Dismiss remediation"),
		Submit:          plain("Dismiss"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(&slack.TextBlockObject{Type: slack.MarkdownType,
				Text: fmt.Sprintf("Dismiss `%s` without patching. The reason goes into the audit trail and onto the card.", esc(m.Remediation))}, nil, nil),
			slack.NewInputBlock(dismissReasonBlock, plain("Reason"), nil, input),
		}},
	}
}

// openDismiss answers a Dismiss click: the modal opens for the clicker, or
// the reply says how to dismiss by command when it cannot.
func (h *Handler) openDismiss(ctx context.Context, c click) string {
	byCommand := fmt.Sprintf("To dismiss `%s`, use `/patch dismiss %s <reason…>`.", c.Decision.Cycle, c.Decision.Cycle)
	if h.opts.Views == nil || c.TriggerID == "" {
		return byCommand
	}
	m := dismissMeta{Remediation: c.Decision.Cycle, Revision: c.Decision.SeenRevision, Channel: c.Target.ChannelID}
	// A trigger_id is good for 3 seconds: a views.open still unanswered by
	// then cannot succeed, and the reply needs what is left of the job.
	octx, cancel := context.WithTimeout(ctx, triggerLifetime)
	defer cancel()
	if _, err := h.opts.Views.OpenViewContext(octx, c.TriggerID, dismissModal(m)); err != nil {
		h.log.Warn("open the dismiss modal", "remediation", m.Remediation, "user", c.Target.UserID, "err", err)
		return "The dismiss form could not be opened (Slack allows 3 seconds after the click). " + byCommand
	}
	return ""
}

// submission is one view_submission of the dismiss modal.
type submission struct {
	Meta   dismissMeta
	Actor  string
	Reason string
	Team   string
	// ID names the submission stably across redeliveries.
	ID  string
	Err error
}

// submissionOf reads the dismiss modal's submission out of an interaction
// (other views are not patchgate's).
func submissionOf(ic slack.InteractionCallback) (submission, bool) {
	if ic.Type != slack.InteractionTypeViewSubmission || ic.View.CallbackID != dismissCallbackID {
		return submission{}, false
	}
	s := submission{Actor: ic.User.ID, Team: ic.Team.ID, ID: "view:" + ic.View.ID + ":" + ic.View.Hash + ":" + ic.User.ID}
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &s.Meta); err != nil || !runbooks.IsRemediationID(s.Meta.Remediation) {
		s.Err = fmt.Errorf("unreadable private_metadata %q", ic.View.PrivateMetadata)
	}
	if s.Actor == "" {
		s.Err = errors.New("a view submission without a user")
	}
	if ic.View.State != nil {
		s.Reason = strings.TrimSpace(ic.View.State.Values[dismissReasonBlock][dismissReasonAction].Value)
	}
	return s, true
}

// dismissSubmitted dismisses as `/patch dismiss` does, with the modal's
// reason; a blank reason is refused before the engine is asked.
func (h *Handler) dismissSubmitted(ctx context.Context, s submission) string {
	if s.Err != nil {
		h.log.Warn("unreadable dismiss submission", "user", s.Actor, "err", s.Err)
		return "This form could not be read, so nothing was changed. Use `/patch dismiss <RM-id> <reason…>`."
	}
	if s.Reason == "" {
		return fmt.Sprintf("Dismissing `%s` needs a reason (the Reason field was blank), so nothing was changed.", s.Meta.Remediation)
	}
	d := runbooks.Decision{Cycle: s.Meta.Remediation, Action: runbooks.Dismiss, Actor: s.Actor,
		Reason: clip(s.Reason, maxDismissReason), InteractionID: s.ID}
	return h.decideByCommand(ctx, d, "cycle", d.Cycle, "user", d.Actor)
}
