package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/state/redisstore"
)

// openRedis opens the redis store the configuration describes: one server,
// or the master its sentinels name, over TLS when configured.
func openRedis(ctx context.Context, r config.Redis) (*redisstore.Store, error) {
	pw, err := r.Password.Resolve(nil)
	if err != nil {
		return nil, fmt.Errorf("store.redis.password: %w", err)
	}
	o := redisstore.Options{Network: r.Network, Addr: r.Addr, Password: pw, DB: r.DB, Prefix: r.Prefix}
	if t := r.TLS; t.Enabled {
		if o.TLS, err = (redisstore.TLSFiles{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
			ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}).Config(); err != nil {
			return nil, fmt.Errorf("store.redis.tls: %w", err)
		}
	}
	if sn := r.Sentinel; sn.Enabled() {
		spw, err := sn.Password.Resolve(nil)
		if err != nil {
			return nil, fmt.Errorf("store.redis.sentinel.password: %w", err)
		}
		o.Sentinel = &redisstore.Sentinel{MasterName: sn.MasterName, Addrs: sn.Addrs, Password: spw}
	}
	return redisstore.Open(ctx, o)
}

// redisLog sends go-redis' own messages (reconnects, failovers) to the
// process log, so JSON logs stay JSON. go-redis has one global logger.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "go-redis")
}

func routeRedisLog(log *slog.Logger) { redis.SetLogger(redisLog{log}) }
