package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// tsClock hands out message timestamps in Slack's "seconds.micros" form.
// Slack's ts is both a time and a message's identity within a channel, so
// two messages must never share one: when the clock has not moved (or went
// backwards) the next ts is the last one plus a microsecond.
type tsClock struct {
	now  func() time.Time
	last int64 // microseconds since the epoch
}

func (c *tsClock) next() string {
	us := c.now().UnixMicro()
	if us <= c.last {
		us = c.last + 1
	}
	c.last = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// randomHex is for the parts of Slack identifiers that are secrets or
// nonces (tickets, response_url paths, trigger ids, envelope ids).
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// envelopeID has the shape of Slack's envelope ids (a UUID).
func envelopeID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// triggerID has the shape of Slack's: "<digits>.<digits>.<hex>".
func triggerID(seq int) string {
	return fmt.Sprintf("%d.%d.%s", 1000000000+seq, 3336494366+seq, randomHex(16))
}

// randomID looks like the short ids Slack invents for a block_id or an
// action_id the client left out.
func randomID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand failed: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
