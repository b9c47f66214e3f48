package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// SignedHeaders returns the headers Slack puts on a form-encoded request it
// sends an app over HTTP: the request timestamp and the v0 HMAC-SHA256 of
// "v0:<timestamp>:<body>" under the app's signing secret. Tests use it to
// drive the bot's HTTP transport exactly as Slack would.
func SignedHeaders(secret string, at time.Time, body string) http.Header {
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return h
}
