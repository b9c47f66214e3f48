package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
)

// SQSAPI is the part of the SQS client the poller calls.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// PollerConfig tunes the SQS intake.
type PollerConfig struct {
	QueueURL string
	// Wait is the long-poll wait of one ReceiveMessage (at most 20s; default 20s).
	Wait time.Duration
	// Workers bounds the messages handled at once (default 8); a receive
	// takes at most 10, the SQS maximum.
	Workers int
	// StepTimeout is the budget of one message: triage and recording.
	StepTimeout time.Duration
	// Backoff is the pause after a failed receive (default 5s).
	Backoff time.Duration
}

// Poller long-polls the intake queue. It runs on every replica: SQS hands
// a message to one reader at a time, and the sink's claims on the event id
// make a message read twice (redelivery after a crash, or the visibility
// timeout running out) recorded once, so no lease is needed.
type Poller struct {
	api    SQSAPI
	intake *Intake
	cfg    PollerConfig
	source string
	log    *slog.Logger
}

// NewPoller reads cfg.QueueURL through api into intake.
func NewPoller(api SQSAPI, intake *Intake, cfg PollerConfig, log *slog.Logger) (*Poller, error) {
	if cfg.QueueURL == "" {
		return nil, errors.New("sqs intake: no queue_url")
	}
	if cfg.Wait <= 0 || cfg.Wait > 20*time.Second {
		cfg.Wait = 20 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 30 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{api: api, intake: intake, cfg: cfg, source: "sqs:" + QueueName(cfg.QueueURL), log: log}, nil
}

// QueueName is the last path segment of a queue URL.
func QueueName(url string) string { return url[strings.LastIndex(url, "/")+1:] }

// Run polls until ctx ends. A failed receive is logged and retried after
// Backoff; it never stops the bot.
func (p *Poller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, err := p.PollOnce(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("sqs intake receive failed; retrying", "queue", p.source, "wait", p.cfg.Backoff, "err", err)
			if ctxsleep.Sleep(ctx, p.cfg.Backoff) != nil {
				break
			}
		}
	}
	return nil
}

// Stats counts what one poll did with its messages.
type Stats struct {
	Received, Recorded, Unknown, Refused, Failed int
}

// PollOnce receives up to ten messages, handles them with bounded
// concurrency and deletes those recorded. A refused message (malformed, a
// rule not followed) is audited and left in the queue: SQS redelivers it
// until maxReceiveCount and then moves it to the dead-letter queue, so
// nothing leaves the queue unrecorded.
func (p *Poller) PollOnce(ctx context.Context) (Stats, error) {
	// A long-poll holds the request open for Wait on purpose; a peer that
	// says nothing for longer than Wait plus a step is dead, not polling.
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Wait+p.cfg.StepTimeout)
	defer cancel()
	out, err := p.api.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(p.cfg.QueueURL), MaxNumberOfMessages: 10,
		WaitTimeSeconds:             int32(p.cfg.Wait / time.Second),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return Stats{}, fmt.Errorf("sqs ReceiveMessage from %s: %w", p.source, err)
	}
	st := Stats{Received: len(out.Messages)}
	var (
		mu   sync.Mutex
		done []sqstypes.DeleteMessageBatchRequestEntry
		wg   sync.WaitGroup
		sem  = make(chan struct{}, p.cfg.Workers)
	)
	for i, m := range out.Messages {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res := p.handle(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			switch res {
			case recorded, unknown:
				done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				if res == unknown {
					st.Unknown++
				} else {
					st.Recorded++
				}
			case refused:
				st.Refused++
			default:
				st.Failed++
			}
		}()
	}
	wg.Wait()
	if len(done) > 0 {
		if err := p.delete(ctx, done); err != nil {
			// Recorded but not deleted: SQS redelivers, the sink's claims
			// make the second handling a no-op, and it is deleted then.
			p.log.Error("sqs intake delete failed; the messages return and are recorded once", "queue", p.source, "err", err)
		}
	}
	return st, nil
}

type result int

const (
	recorded result = iota
	unknown
	refused
	failed
)

func (p *Poller) handle(ctx context.Context, m sqstypes.Message) result {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StepTimeout)
	defer cancel()
	msgID := aws.ToString(m.MessageId)
	receives := m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]
	out, err := p.intake.Handle(ctx, []byte(aws.ToString(m.Body)), p.source)
	switch {
	case err == nil && out.Unknown != "":
		return unknown
	case err == nil:
		return recorded
	case Refused(err):
		p.log.Error("sqs intake refused a message; left for the queue's redrive policy (dead-letter queue)",
			"queue", p.source, "message", msgID, "receives", receives, "err", err)
		if aerr := p.intake.sink.RecordIntakeRefusal(ctx, runbooks.IntakeRefusal{Source: p.source, MessageID: msgID, Reason: err.Error()}); aerr != nil {
			p.log.Error("audit intake refusal", "message", msgID, "err", aerr)
		}
		return refused
	default:
		p.log.Error("sqs intake could not record a message; it returns after the visibility timeout",
			"queue", p.source, "message", msgID, "receives", receives, "err", err)
		return failed
	}
}

func (p *Poller) delete(ctx context.Context, entries []sqstypes.DeleteMessageBatchRequestEntry) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StepTimeout)
	defer cancel()
	out, err := p.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.cfg.QueueURL), Entries: entries})
	if err != nil {
		return fmt.Errorf("sqs DeleteMessageBatch of %d: %w", len(entries), err)
	}
	if len(out.Failed) > 0 {
		f := out.Failed[0]
		return fmt.Errorf("sqs DeleteMessageBatch: %d of %d failed (first: %s %s)", len(out.Failed), len(entries), aws.ToString(f.Code), aws.ToString(f.Message))
	}
	return nil
}
