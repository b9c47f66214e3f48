package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// PathConfigEvents is the signed HTTP intake of AWS Config compliance
// changes, for estates that forward the EventBridge event otherwise than
// through the intake queue.
const PathConfigEvents = "/events/config"

// Headers of a signed intake request. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), so a
// captured request cannot be replayed with a new timestamp.
const (
	HeaderIntakeTimestamp = "X-Patchgate-Timestamp"
	HeaderIntakeSignature = "X-Patchgate-Signature"
)

// EventIntake records one compliance event body (providers/aws/events.Intake):
// it answers what became of it, and a runbooks CodeInvalid error for a body
// it will never record.
type EventIntake interface {
	Record(ctx context.Context, body []byte, source string) (string, error)
}

// IntakeOptions configures the HTTP intake.
type IntakeOptions struct {
	Secret []byte // the shared HMAC secret (remediation.http_secret)
	// MaxSkew is how far the timestamp may be from now (default 5m): the
	// replay window. A replay inside it is harmless: the event id is claimed.
	MaxSkew time.Duration
	MaxBody int64 // default 256 KiB (EventBridge events are at most 256 KB)
	// StepTimeout bounds the recording of one event (default 30s).
	StepTimeout time.Duration
	Clock       runbooks.Clock
	Log         *slog.Logger
}

// IntakeHandler serves POST PathConfigEvents. A request that is unsigned,
// badly signed or outside the replay window is answered 401, a malformed
// event 400, and neither records anything; a recorded event 200 with what
// became of it; a store or provider failure 503, so the sender retries.
func IntakeHandler(in EventIntake, o IntakeOptions) http.Handler {
	if o.MaxSkew <= 0 {
		o.MaxSkew = 5 * time.Minute
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 256 << 10
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = runbooks.SystemClock
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathConfigEvents, func(w http.ResponseWriter, r *http.Request) { serveIntake(w, r, in, o) })
	return mux
}

func serveIntake(w http.ResponseWriter, r *http.Request, in EventIntake, o IntakeOptions) {
	refuse := func(status int, why string, err error) {
		o.Log.Warn("config event intake refused a request", "status", status, "why", why, "err", err, "remote", r.RemoteAddr)
		http.Error(w, http.StatusText(status)+": "+why, status)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			refuse(http.StatusRequestEntityTooLarge, "body too large", err)
		} else {
			refuse(http.StatusBadRequest, "body unreadable", err)
		}
		return
	}
	if err := verifyIntake(o, r.Header, body); err != nil {
		refuse(http.StatusUnauthorized, "signature", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), o.StepTimeout)
	defer cancel()
	what, err := in.Record(ctx, body, "http")
	switch code := runbooks.ErrorCode(err); {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"recorded": what})
	case code == runbooks.CodeInvalid:
		refuse(http.StatusBadRequest, "malformed event", err)
	default:
		o.Log.Error("config event intake could not record an event", "err", err)
		http.Error(w, "could not record the event; retry", http.StatusServiceUnavailable)
	}
}

var (
	errIntakeNoSecret  = errors.New("no intake secret configured")
	errIntakeTimestamp = errors.New("missing or malformed " + HeaderIntakeTimestamp)
	errIntakeStale     = errors.New("timestamp outside the replay window")
	errIntakeSignature = errors.New("missing or wrong " + HeaderIntakeSignature)
)

func verifyIntake(o IntakeOptions, h http.Header, body []byte) error {
	if len(o.Secret) == 0 {
		return errIntakeNoSecret
	}
	ts := h.Get(HeaderIntakeTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errIntakeTimestamp
	}
	if d := o.Clock.Now().Sub(time.Unix(sec, 0)); d > o.MaxSkew || d < -o.MaxSkew {
		return errIntakeStale
	}
	got, ok := strings.CutPrefix(h.Get(HeaderIntakeSignature), "sha256=")
	mac, err := hex.DecodeString(got)
	if !ok || err != nil || !hmac.Equal(mac, intakeMAC(o.Secret, ts, body)) {
		return errIntakeSignature
	}
	return nil
}

func intakeMAC(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// SignIntake sets the intake headers on a request carrying body, signed
// with secret at time at (the sender's side: the demo and forwarders).
func SignIntake(h http.Header, secret []byte, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set(HeaderIntakeTimestamp, ts)
	h.Set(HeaderIntakeSignature, "sha256="+hex.EncodeToString(intakeMAC(secret, ts, body)))
}
