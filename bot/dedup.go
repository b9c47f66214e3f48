package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// dedupPrefix keys the claim-once keys of Slack deliveries in the store.
const dedupPrefix = "slack/seen/"

// Dedup keys name one delivery of one thing Slack sent. Slack retries an
// HTTP request (X-Slack-Retry-Num) or re-sends a Socket Mode envelope with
// the same content, and with several replicas behind one app each copy may
// reach a different replica: the store's claim makes exactly one of them do
// the work.

// envelopeKey is a Socket Mode envelope.
func envelopeKey(id string) string { return dedupPrefix + "envelope/" + id }

// commandKey is one invocation of /patch: Slack gives each a trigger_id.
// Without one, the payload's own hash stands in.
func commandKey(team, triggerID string, payload []byte) string {
	if triggerID == "" {
		return dedupPrefix + "command/sha256:" + digest(payload)
	}
	return dedupPrefix + "command/" + team + "/" + triggerID
}

// clickKey is one click: interactionID is stable across redeliveries.
func clickKey(team, interactionID string) string {
	return dedupPrefix + "click/" + team + "/" + interactionID
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// claimAll claims keys in order and reports whether this delivery won them
// all. It stops at the first key already taken: the delivery that took it
// goes on to the next key itself, so of any number of concurrent copies
// exactly one wins the last key and does the work. (Claiming on past a lost
// key let two copies each win one key and lose the other, and both dropped
// the work.) Keys go from the narrowest (the envelope) to the payload. A
// store error is returned, and the work is refused rather than risk doing it
// twice.
func (h *Handler) claimAll(ctx context.Context, keys []string) (bool, error) {
	for _, k := range keys {
		ok, err := h.store.Claim(ctx, k, h.opts.DedupTTL)
		if err != nil {
			return false, fmt.Errorf("claim %s: %w", k, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
