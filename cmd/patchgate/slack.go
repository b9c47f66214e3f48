package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/httpserve"
	"github.com/patchgate/patchgate/metrics"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/edr"
	"github.com/patchgate/patchgate/runbooks/sla"
	"github.com/patchgate/patchgate/state"
)

// slackParts is the Slack front end of a running patchgate: the notifier
// the engine reports to, and the handler that turns commands and clicks
// into engine calls.
type slackParts struct {
	cfg       config.Slack
	api       *slack.Client
	notifier  *bot.Notifier
	directory *bot.Directory
	handler   *bot.Handler
	appToken  string
	signing   string
	log       *slog.Logger
}

// newSlack builds the client and the notifier; attach adds the handler
// once the engine exists (the engine needs the notifier first).
func newSlack(cfg *config.Config, w wiring, m *metrics.Metrics) (*slackParts, error) {
	s := cfg.Slack
	lookup := w.lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	botToken, err := s.BotToken.Resolve(lookup)
	if err != nil {
		return nil, fmt.Errorf("slack.bot_token: %w", err)
	}
	p := &slackParts{cfg: s, log: w.log}
	if s.Transport == config.SlackSocket {
		if p.appToken, err = s.AppToken.Resolve(lookup); err != nil {
			return nil, fmt.Errorf("slack.app_token: %w", err)
		}
	} else if p.signing, err = s.SigningSecret.Resolve(lookup); err != nil {
		return nil, fmt.Errorf("slack.signing_secret: %w", err)
	}
	opts := []slack.Option{slack.OptionAppLevelToken(p.appToken),
		slack.OptionHTTPClient(&http.Client{Transport: m.SlackTransport(w.slackTransport)})}
	if s.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(s.APIURL))
	}
	p.api = slack.New(botToken, opts...)
	p.directory = bot.NewDirectory(p.api, time.Minute)
	return p, nil
}

// notifierFor builds the notifier over the store.
func (p *slackParts) notifierFor(cfg *config.Config, st state.Store, clock runbooks.Clock, replica string) *bot.Notifier {
	p.notifier = bot.NewNotifier(p.api, st, bot.NotifierOptions{
		Channel: p.cfg.Channel, Tenants: bot.TenantNames(cfg.Tenants()), UpdateInterval: p.cfg.UpdateInterval,
		Clock: clock, Log: p.log, Replica: replica, DrainTimeout: notifierDrain,
	})
	return p.notifier
}

// attach builds the handler once the engine exists.
func (p *slackParts) attach(e bot.Engine, st state.Store, svc *daily.Service, slaSvc *sla.Service, edrSvc *edr.Service) {
	var checks bot.DailyChecks // no service must stay a nil interface
	if svc != nil {
		checks = bot.DailyReplies{Checks: svc}
	}
	var slaCmds bot.SLACommands
	if slaSvc != nil {
		slaCmds = slaSvc
	}
	var sensors bot.SensorCommands
	if edrSvc != nil {
		sensors = edrSvc
	}
	p.handler = bot.NewHandler(e, st, bot.NewResponseURLReplier(nil, p.api),
		bot.HandlerOptions{SigningSecret: p.signing, Log: p.log, Reports: p.notifier, Daily: checks, SLA: slaCmds, Sensors: sensors, Views: p.api})
}

// run serves Slack until ctx ends: Socket Mode or the HTTP endpoints
// within limits, and the posting queue until chatCtx ends. ready, if set,
// gets the HTTP endpoints' bound address (slack.listen may be ":0").
func (p *slackParts) run(ctx, chatCtx context.Context, g *errgroup.Group, limits httpserve.Limits, ready func(net.Addr)) error {
	if p.cfg.Transport == config.SlackSocket {
		g.Go(func() error { return p.notifier.Run(chatCtx) })
		client := socketmode.New(p.api)
		g.Go(func() error { return p.handler.RunSocketMode(ctx, client) })
		return nil
	}
	l, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("slack http listen on %s: %w", p.cfg.Listen, err)
	}
	if ready != nil {
		ready(l.Addr())
	}
	srv := httpserve.New(p.cfg.Listen, p.handler.HTTPHandler(), limits)
	srv.ConnState = p.handler.ConnState
	g.Go(func() error { return p.notifier.Run(chatCtx) })
	g.Go(func() error { return p.handler.Run(ctx) })
	g.Go(func() error {
		err := srv.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("slack http on %s: %w", p.cfg.Listen, err)
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return nil
}
