package bot

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks"
)

// Request verification failures. None of them says more than "refused" to
// the sender; the log says which check failed.
var (
	errNoSigningSecret = errors.New("no signing secret configured")
	errBadTimestamp    = errors.New("missing or malformed X-Slack-Request-Timestamp")
	errStaleTimestamp  = errors.New("request timestamp too far from now (replayed or future-dated)")
)

// readVerified reads the body (at most MaxBody) and checks the request's
// timestamp and signature. On failure it has already answered and returns
// false.
func (h *Handler) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > h.opts.MaxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "request body too large",
			fmt.Errorf("content-length %d > %d", r.ContentLength, h.opts.MaxBody))
		return nil, false
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.opts.MaxBody), r.ContentLength)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "request body too large", err)
		} else {
			h.reject(w, r, http.StatusBadRequest, "request body unreadable (truncated?)", err)
		}
		return nil, false
	}
	if err := h.verify(r.Header, body); err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, errNoSigningSecret) {
			status = http.StatusInternalServerError
		}
		h.reject(w, r, status, "request verification failed", err)
		return nil, false
	}
	return body, true
}

// presizeMax is the largest Content-Length read into a buffer allocated up
// front.
const presizeMax = 64 << 10

// readBody reads r whole into one buffer of the request's Content-Length
// (Slack always sends one; the server ends the body there), so a click's
// ~10 KB body costs one allocation instead of io.ReadAll's growing copies.
// A length above presizeMax is read as it arrives: an unsigned sender must
// not make the handler allocate what it claims before it sends it.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > presizeMax {
		return io.ReadAll(r)
	}
	buf := make([]byte, contentLength)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// verify checks that Slack signed body with the signing secret, recently.
// The timestamp is checked against the handler's clock first (slack-go's
// verifier checks it against the wall clock too), then the HMAC.
func (h *Handler) verify(hdr http.Header, body []byte) error {
	if h.opts.SigningSecret == "" {
		return errNoSigningSecret
	}
	ts, err := strconv.ParseInt(hdr.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if skew := h.opts.Now().Sub(time.Unix(ts, 0)); skew > h.opts.MaxClockSkew || skew < -h.opts.MaxClockSkew {
		return fmt.Errorf("%w: %s", errStaleTimestamp, runbooks.ForPeople(skew))
	}
	sv, err := slack.NewSecretsVerifier(hdr, h.opts.SigningSecret)
	if err != nil {
		return fmt.Errorf("signature header: %w", err)
	}
	if _, err := sv.Write(body); err != nil {
		return fmt.Errorf("hash body: %w", err)
	}
	if err := sv.Ensure(); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	return nil
}

// reject answers a request that will not be acted on. The reason is logged,
// never the signature or the body.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, status int, what string, err error) {
	h.log.Warn("Slack request rejected", "path", r.URL.Path, "status", status, "why", what, "err", err,
		"remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}
