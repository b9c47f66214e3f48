package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
)

// Modals: a trigger_id handed out with a slash command or a click opens
// one modal (views.open), which stays open for its user until SubmitView
// sends the view_submission Slack sends when the Submit button is pressed.

// View is an open modal as the sandbox keeps it.
type View struct {
	ID              string
	User            string
	CallbackID      string
	PrivateMetadata string
	Title           string
	// Blocks are the view's blocks as the app sent them.
	Blocks json.RawMessage
}

// modalRequest is what views.open reads of its view argument.
type modalRequest struct {
	Type            string          `json:"type"`
	Title           json.RawMessage `json:"title"`
	Submit          json.RawMessage `json:"submit,omitempty"`
	Close           json.RawMessage `json:"close,omitempty"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
}

// newTriggerLocked hands out a trigger_id for userID; views.open accepts
// it once.
func (s *Server) newTriggerLocked(userID string) string {
	id := triggerID(s.seq)
	if s.triggers == nil {
		s.triggers = map[string]string{}
	}
	s.triggers[id] = userID
	return id
}

// viewsOpen opens a modal for the user whose interaction handed out the
// trigger_id. A trigger opens one view (Slack answers trigger_exchanged
// for a second), and the view must be a modal with a title and blocks.
func (s *Server) viewsOpen(r *apiRequest) (map[string]any, *apiError) {
	var m modalRequest
	if err := json.Unmarshal([]byte(r.args.Get("view")), &m); err != nil {
		return nil, errCode("invalid_arguments", "view: "+err.Error())
	}
	if m.Type != "modal" || len(m.Title) == 0 || len(m.Blocks) == 0 {
		return nil, errCode("invalid_arguments", "view: a modal needs type modal, a title and blocks")
	}
	if len(m.PrivateMetadata) > 3000 {
		return nil, errCode("invalid_arguments", "view: private_metadata over 3000 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	trigger := r.args.Get("trigger_id")
	user, ok := s.triggers[trigger]
	switch {
	case !ok:
		return nil, errCode("invalid_trigger_id")
	case user == "":
		return nil, errCode("trigger_exchanged")
	}
	s.triggers[trigger] = "" // exchanged
	if s.views == nil {
		s.views = map[string]*View{}
	}
	v := &View{ID: "V" + randomID() + randomID(), User: user, CallbackID: m.CallbackID,
		PrivateMetadata: m.PrivateMetadata, Title: string(m.Title), Blocks: m.Blocks}
	s.views[v.ID] = v
	s.bumpLocked()
	return map[string]any{"view": map[string]any{
		"id": v.ID, "team_id": s.opts.Team.ID, "type": "modal", "title": m.Title, "blocks": m.Blocks,
		"private_metadata": v.PrivateMetadata, "callback_id": v.CallbackID,
		"state": map[string]any{"values": map[string]any{}}, "hash": "hash-" + v.ID,
		"app_id": s.opts.AppID, "bot_id": s.opts.BotID,
	}}, nil
}

// OpenViews are userID's open modals.
func (s *Server) OpenViews(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.views {
		if v.User == userID {
			out = append(out, *v)
		}
	}
	return out
}

// viewSubmissionPayload is the interactive payload of a modal's Submit.
type viewSubmissionPayload struct {
	Type                string          `json:"type"`
	Team                payloadTeam     `json:"team"`
	User                payloadUser     `json:"user"`
	APIAppID            string          `json:"api_app_id"`
	Token               string          `json:"token"`
	TriggerID           string          `json:"trigger_id"`
	View                submittedView   `json:"view"`
	ResponseURLs        []any           `json:"response_urls"`
	IsEnterpriseInstall bool            `json:"is_enterprise_install"`
	Enterprise          json.RawMessage `json:"enterprise"`
}

type submittedView struct {
	ID              string          `json:"id"`
	TeamID          string          `json:"team_id"`
	Type            string          `json:"type"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
	State           struct {
		Values map[string]map[string]inputValue `json:"values"`
	} `json:"state"`
	Hash  string `json:"hash"`
	AppID string `json:"app_id"`
	BotID string `json:"bot_id"`
}

type inputValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// SubmitView sends the view_submission of userID's open modal viewID with
// the typed values (block_id → action_id → text) and, once the app acks,
// closes the modal, as Slack does for an ack without errors.
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]string) error {
	s.mu.Lock()
	v, ok := s.views[viewID]
	if !ok || v.User != userID {
		s.mu.Unlock()
		return fmt.Errorf("sandbox slack: %s has no open view %s", userID, viewID)
	}
	u := s.users[userID]
	s.seq++
	p := viewSubmissionPayload{
		Type: "view_submission", Team: payloadTeam{ID: s.opts.Team.ID, Domain: s.opts.Team.Domain},
		User:     payloadUser{ID: u.ID, Username: u.Name, Name: u.Name, TeamID: s.opts.Team.ID},
		APIAppID: s.opts.AppID, Token: s.opts.VerificationToken, TriggerID: s.newTriggerLocked(userID),
		ResponseURLs: []any{}, Enterprise: json.RawMessage("null"),
		View: submittedView{ID: v.ID, TeamID: s.opts.Team.ID, Type: "modal", Blocks: v.Blocks,
			PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID, Hash: "hash-" + v.ID,
			AppID: s.opts.AppID, BotID: s.opts.BotID},
	}
	p.View.State.Values = map[string]map[string]inputValue{}
	for block, actions := range values {
		p.View.State.Values[block] = map[string]inputValue{}
		for action, text := range actions {
			p.View.State.Values[block][action] = inputValue{Type: "plain_text_input", Value: text}
		}
	}
	s.mu.Unlock()
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sandbox slack: marshal view_submission: %w", err)
	}
	e, err := s.enqueue("interactive", raw, true, "")
	if err != nil {
		return err
	}
	if err := s.waitAck(ctx, e); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.views, viewID)
	s.bumpLocked()
	s.mu.Unlock()
	return nil
}
