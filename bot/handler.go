package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// Engine is the part of the runbooks engine the inbound half of the bot
// calls: commands start cycles and read them, clicks decide.
type Engine interface {
	Start(ctx context.Context, tenant, requester string) (*runbooks.Cycle, error)
	Decide(ctx context.Context, d runbooks.Decision) (runbooks.Outcome, error)
	Get(ctx context.Context, id string) (*runbooks.Cycle, error)
	Active(ctx context.Context) ([]*runbooks.Cycle, error)
	Tenants() []runbooks.Tenant
}

var _ Engine = (*runbooks.Engine)(nil)

// HandlerOptions tune the Handler; zero values take the defaults noted.
type HandlerOptions struct {
	// SigningSecret verifies HTTP requests (required for HTTPHandler; not
	// used by Socket Mode, whose connection is authenticated by the app
	// token).
	SigningSecret string
	// Workers run acknowledged work (default 8); QueueSize bounds the work
	// waiting for them (default 256).
	Workers   int
	QueueSize int
	// QueueWait is how long an HTTP request waits for room in a full queue
	// before it is refused with 503 (default 2 s, inside Slack's 3 s).
	QueueWait time.Duration
	// AckHold is the longest a worker holds its next job while HTTP
	// requests are in flight (ConnState), counted from when that busy
	// spell began (default 250 ms; negative: never). Acks have Slack's
	// 3 s; the work has none (see ackGate).
	AckHold time.Duration
	// JobTimeout bounds one piece of work (default 30 s).
	JobTimeout time.Duration
	// DrainTimeout bounds how long queued work may run after shutdown
	// began (default 10 s).
	DrainTimeout time.Duration
	// DedupTTL is how long a delivery's claim key is kept (default 1 h;
	// Slack retries within minutes and HTTP requests older than 5 minutes
	// are refused anyway).
	DedupTTL time.Duration
	// MaxBody caps an HTTP request body (default 64 KiB; larger gets 413).
	MaxBody int64
	// MaxClockSkew is how far an HTTP request's timestamp may be from Now
	// (default 5 minutes).
	MaxClockSkew time.Duration
	// Now is the clock the request timestamp is checked against (default
	// time.Now).
	Now func() time.Time
	// Log receives the handler's logs (default: discarded).
	Log *slog.Logger
	// Reports, if set, re-posts a cycle's report into its thread for
	// /patch report (the Notifier does); without it the command only says
	// where the report is.
	Reports ReportPoster
	// Daily runs /patch saml, drift and digest and the MOP-tick and
	// drift-decision buttons (nil: they reply that it is not configured).
	Daily DailyChecks
	// SLA runs /patch posture and /patch except (nil: not configured).
	SLA SLACommands
	// Sensors runs /patch sensors (nil: not configured).
	Sensors SensorCommands
	// Views opens the dismiss modal of a remediation card (nil: the Dismiss
	// button's reply names the /patch dismiss command instead).
	Views ViewOpener
}

// ReportPoster posts a cycle's report files into the cycle's thread.
type ReportPoster interface {
	RepostReport(ctx context.Context, c *runbooks.Cycle) error
}

var _ ReportPoster = (*Notifier)(nil)

const (
	defaultReplyTimeout = 10 * time.Second
	defaultMaxBody      = 64 << 10
	defaultAckHold      = 250 * time.Millisecond
)

func (o *HandlerOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.QueueWait <= 0 {
		o.QueueWait = 2 * time.Second
	}
	if o.AckHold == 0 {
		o.AckHold = defaultAckHold
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 30 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 10 * time.Second
	}
	if o.DedupTTL <= 0 {
		o.DedupTTL = time.Hour
	}
	if o.MaxBody <= 0 {
		o.MaxBody = defaultMaxBody
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Handler takes Slack's slash commands and button clicks, acknowledges each
// at once, and does the work in a bounded pool: commands call the engine,
// clicks become decisions, and every outcome or refusal goes back to the
// person alone as an ephemeral reply.
type Handler struct {
	engine  Engine
	store   state.Store
	replier Replier
	opts    HandlerOptions
	log     *slog.Logger
	pool    *pool
	gate    *ackGate // HTTP acks in flight hold the pool's next job
	running atomic.Bool
	// connected: a Socket Mode session is up (see Connected).
	connected atomic.Bool
}

// NewHandler builds a handler. Nothing runs until Run or RunSocketMode.
func NewHandler(engine Engine, store state.Store, replier Replier, opts HandlerOptions) *Handler {
	opts.defaults()
	gate := newAckGate(opts.AckHold, time.Now)
	return &Handler{engine: engine, store: store, replier: replier, opts: opts,
		log: opts.Log, pool: newPool(opts.QueueSize, gate), gate: gate}
}

// ErrAlreadyRunning: Run or RunSocketMode was called a second time; a
// handler's pool runs once.
var ErrAlreadyRunning = errors.New("bot: handler already running")

// Run works acknowledged requests until ctx ends, then stops taking new
// ones and lets queued work finish within DrainTimeout. Serve HTTPHandler
// while Run runs; RunSocketMode calls Run itself.
func (h *Handler) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	h.pool.run(h.opts.Workers, h.opts.DrainTimeout, ctx.Done())
	return nil
}

// enqueue hands work to the pool, de-duplicated on keys (see once).
func (h *Handler) enqueue(ctx context.Context, keys []string, to Target, work func(ctx context.Context) string) error {
	return h.submit(ctx, func(ctx context.Context) { h.once(ctx, keys, to, work) })
}

// submit queues a job that runs with JobTimeout.
func (h *Handler) submit(ctx context.Context, j job) error {
	return h.pool.submit(ctx, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, h.opts.JobTimeout)
		defer cancel()
		j(ctx)
	})
}

// once does work if this delivery is the first to claim keys, and replies
// with the text it returns: later copies (on any replica) are dropped.
func (h *Handler) once(ctx context.Context, keys []string, to Target, work func(ctx context.Context) string) {
	fresh, err := h.claimAll(ctx, keys)
	if err != nil {
		h.log.Error("de-duplicate a Slack delivery", "err", err)
		h.reply(ctx, to, StoreUnavailableText)
		return
	}
	if !fresh {
		h.log.Info("duplicate Slack delivery dropped", "keys", keys)
		return
	}
	if text := work(ctx); text != "" {
		h.reply(ctx, to, text)
	}
}

// reply sends text to the person; a failure is logged (without the
// response_url, which embeds a token).
func (h *Handler) reply(ctx context.Context, to Target, text string) {
	if err := h.replier.ReplyEphemeral(ctx, to, text); err != nil {
		h.log.Error("ephemeral reply", "user", to.UserID, "channel", to.ChannelID, "err", err)
	}
}

// StoreUnavailableText is the reply to a command or click that arrived while
// the state store could not be reached: nothing was recorded, and the same
// click works once the store is back.
const StoreUnavailableText = "State store unavailable, try again in a moment. Nothing was changed."

// refusal is the text shown for an engine error: the coded message as-is,
// a generic text for internal errors, whose detail only goes to the log.
func (h *Handler) refusal(err error, doing string, attrs ...any) string {
	switch runbooks.ErrorCode(err) {
	case runbooks.CodeInternal, runbooks.CodeUnavailable:
		if errors.Is(err, state.ErrUnavailable) {
			h.log.Warn(doing, append(attrs, "err", err)...)
			return StoreUnavailableText
		}
	}
	switch runbooks.ErrorCode(err) {
	case runbooks.CodeInternal:
		h.log.Error(doing, append(attrs, "err", err)...)
		return "Something went wrong on our side and nothing was changed; it has been logged."
	case runbooks.CodeUnavailable:
		h.log.Warn(doing, append(attrs, "err", err)...)
	default:
		h.log.Info(doing+" refused", append(attrs, "code", runbooks.ErrorCode(err))...)
	}
	return runbooks.ErrorMessage(err)
}
