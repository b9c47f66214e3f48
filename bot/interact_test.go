package bot

import (
	"net/url"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestClicksOf(t *testing.T) {
	value := buttonValue("acme-cu-1", "nonprod", runbooks.Approve, 7)
	ic, err := decodeInteraction([]byte(clickPayload(value, "U-ALICE", "1700000001.000200", "https://hooks.example/x")))
	if err != nil {
		t.Fatal(err)
	}
	clicks := clicksOf(ic)
	if len(clicks) != 1 {
		t.Fatalf("%d clicks, want 1", len(clicks))
	}
	c := clicks[0]
	want := runbooks.Decision{Cycle: "acme-cu-1", Stage: "nonprod", Action: runbooks.Approve, Actor: "U-ALICE",
		SeenRevision: 7, InteractionID: "slack:1700000000.000100:1700000001.000200:U-ALICE:patchgate.approve"}
	if c.Err != nil || c.Decision != want {
		t.Fatalf("decision %+v (err %v), want %+v", c.Decision, c.Err, want)
	}
	if c.Target != (Target{ResponseURL: "https://hooks.example/x", ChannelID: "C1", UserID: "U-ALICE"}) || c.Team != "T1" {
		t.Fatalf("target %+v team %q", c.Target, c.Team)
	}

	// Another app's action, and an unreadable value.
	other := strings.Replace(clickPayload(value, "U-ALICE", "1", ""), "patchgate.approve", "other.approve", 1)
	ic, _ = decodeInteraction([]byte(other))
	if n := len(clicksOf(ic)); n != 0 {
		t.Fatalf("another app's action gave %d clicks", n)
	}
	ic, _ = decodeInteraction([]byte(clickPayload("garbage", "U-ALICE", "1", "")))
	if cs := clicksOf(ic); len(cs) != 1 || cs[0].Err == nil || cs[0].ID == "" {
		t.Fatalf("unreadable value: %+v", cs)
	}
	// Not a block action at all.
	ic, _ = decodeInteraction([]byte(`{"type":"view_submission","user":{"id":"U1"}}`))
	if n := len(clicksOf(ic)); n != 0 {
		t.Fatalf("view_submission gave %d clicks", n)
	}
	if _, err := decodeInteraction(nil); err == nil {
		t.Fatal("an empty payload decoded")
	}
}

// FuzzInteractionPayload: whatever arrives as the form field "payload" is
// peeked at (the ack path), decoded to an InteractionCallback and then to
// decisions (the worker) without a panic; both read the same type and user,
// and every decision is the clicking user's own.
func FuzzInteractionPayload(f *testing.F) {
	v := buttonValue("acme-cu-1", "nonprod", runbooks.Approve, 3)
	for _, s := range []string{
		clickPayload(v, "U1", "1.2", "https://h/x"),
		clickPayload("", "U1", "1.2", ""),
		clickPayload(`{"c":"x","a":"halt","r":-1}`, "", "", ""),
		`{"type":"block_actions","actions":[null,{"action_id":"patchgate.x","block_id":"b"}]}`,
		`{"type":"block_actions","actions":[{"action_id":"patchgate.x"}]}`,
		`{"type":"block_actions","actions":{}}`,
		`{"type":"block_actions","state":{"values":{"b":{"a":{"type":"x"}}}}}`,
		`{"type":"view_submission","view":{"state":{"values":{}}}}`,
		`{"type":"block_actions","container":{"attachment_id":"x"}}`,
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		f.Add(url.Values{"payload": {s}}.Encode())
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		payload := []byte(form.Get("payload"))
		head, peekErr := peekInteraction(payload) // the ack path's look
		ic, err := decodeInteraction(payload)     // the worker's
		if err != nil {
			return
		}
		if peekErr == nil && (string(ic.Type) != head.Type || ic.User.ID != head.User.ID) {
			t.Fatalf("the ack path read type %q user %q, the worker %q %q", head.Type, head.User.ID, ic.Type, ic.User.ID)
		}
		for _, c := range clicksOf(ic) {
			if c.ID == "" {
				t.Fatal("a click without an interaction ID")
			}
			if c.Err != nil {
				continue
			}
			if c.Decision.Actor != ic.User.ID || c.Target.UserID != ic.User.ID {
				t.Fatalf("decision actor %q / reply to %q, clicking user %q", c.Decision.Actor, c.Target.UserID, ic.User.ID)
			}
			if c.Decision.InteractionID != c.ID {
				t.Fatalf("decision interaction %q != click %q", c.Decision.InteractionID, c.ID)
			}
		}
	})
}
