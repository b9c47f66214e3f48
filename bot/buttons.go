package bot

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// ButtonValue is what a cycle message's button carries back when clicked:
// which cycle and stage it acts on, what it asks for, and the cycle
// Revision the message was rendered from, so a click on an outdated
// message is refused rather than applied.
type ButtonValue struct {
	Cycle    string
	Stage    string
	Action   runbooks.DecisionAction
	Revision int64
}

// buttonWire is the compact JSON a button's value is sent as. Slack allows
// 2,000 characters; a value is well under 200.
type buttonWire struct {
	Cycle    string `json:"c"`
	Stage    string `json:"s,omitempty"`
	Action   string `json:"a"`
	Revision int64  `json:"r"`
}

// buttonActions are the decisions a patchgate button may carry.
var buttonActions = map[runbooks.DecisionAction]bool{
	runbooks.Approve: true, runbooks.Reject: true, runbooks.HaltCycle: true,
	runbooks.Resume: true, runbooks.Retry: true, runbooks.Exclude: true,
	runbooks.RollBack: true, runbooks.ConfirmManual: true,
	runbooks.Dismiss: true, // opens the reason modal; the decision comes with its submission
}

// EncodeButtonValue renders v as a button value; DecodeButtonValue reads it.
func EncodeButtonValue(v ButtonValue) string {
	b, _ := json.Marshal(buttonWire{Cycle: v.Cycle, Stage: v.Stage, Action: string(v.Action), Revision: v.Revision})
	return string(b)
}

// DecodeButtonValue reads a button's value. It refuses values that name no
// cycle, an unknown action or a negative revision, so a forged or damaged
// value never reaches the engine as a decision.
func DecodeButtonValue(s string) (ButtonValue, error) {
	var w buttonWire
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return ButtonValue{}, fmt.Errorf("decode button value: %w", err)
	}
	a := runbooks.DecisionAction(w.Action)
	switch {
	case w.Cycle == "":
		return ButtonValue{}, errors.New("decode button value: no cycle")
	case !buttonActions[a]:
		return ButtonValue{}, fmt.Errorf("decode button value: unknown action %q", w.Action)
	case w.Revision < 0:
		return ButtonValue{}, fmt.Errorf("decode button value: negative revision %d", w.Revision)
	}
	return ButtonValue{Cycle: w.Cycle, Stage: w.Stage, Action: a, Revision: w.Revision}, nil
}

// ActionID is the stable action_id of the button for a: "patchgate.approve",
// "patchgate.reject", "patchgate.halt", "patchgate.resume",
// "patchgate.retry", "patchgate.proceed-with-exclusions".
// The prefix is ActionPrefix, spelled out here as well so this file stands
// on its own.
func ActionID(a runbooks.DecisionAction) string { return "patchgate." + string(a) }
