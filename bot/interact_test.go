package bot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

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
// decoded by the ack path's decoder and then to decisions without a panic;
// wherever slack-go's own decoder (which builds the whole message) reads the
// payload too, both give the same type, user and clicks, and every decision
// is the clicking user's own.
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
		`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"trigger_id":"1.2.x","view":{"id":"V1","hash":"h","callback_id":"patchgate.dismiss-reason","private_metadata":"{\"rm\":\"RM-acme-cu-20261122-0200-abc123\",\"rev\":3,\"ch\":\"C1\"}","state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":" decommissioned "}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"patchgate.dismiss-reason","private_metadata":"x","state":{"values":{"reason":{"reason":{"value":7}}}}}}`,
		`{"type":"block_actions","container":{"attachment_id":"x"}}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":5}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"patchgate.x","block_id":7}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[1]}`,
		`{"type":"block_actions","user":{"id":"U1"},"state":{"values":7},"actions":[{"action_id":"patchgate.approve","block_id":"b","value":"x"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"message":{"ts":"1.2","blocks":[{"type":"nope"}]},"actions":[{"action_id":"patchgate.approve","block_id":"b","value":"x","action_ts":"3"}]}`,
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
		ic, err := decodeInteraction(payload)
		var full slack.InteractionCallback
		if fullErr := json.Unmarshal(payload, &full); fullErr == nil && len(payload) > 0 {
			if err != nil {
				if full.Type == slack.InteractionTypeBlockActions && full.User.ID == "" {
					return // refused by the ack path, as before
				}
				t.Fatalf("slack-go reads the payload, the ack path does not: %v", err)
			}
			if ic.Type != full.Type || ic.User.ID != full.User.ID {
				t.Fatalf("the ack path read type %q user %q, slack-go %q %q", ic.Type, ic.User.ID, full.Type, full.User.ID)
			}
			if a, b := fmt.Sprint(clicksOf(ic), dailyClicksOf(ic)), fmt.Sprint(clicksOf(full), dailyClicksOf(full)); a != b {
				t.Fatalf("clicks differ:\nack path %s\nslack-go %s", a, b)
			}
			sa, oka := submissionOf(ic)
			sf, okf := submissionOf(full)
			if a, b := fmt.Sprint(sa, oka), fmt.Sprint(sf, okf); a != b {
				t.Fatalf("view submissions differ:\nack path %s\nslack-go %s", a, b)
			}
		}
		if err != nil {
			return
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
