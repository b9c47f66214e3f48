package redisstore

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// unavailable reports whether err means Redis could not be reached or could
// not serve the call right now, as opposed to refusing it (a script error,
// a wrong type, an auth failure, which retrying cannot fix).
func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ENOENT),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr):
		return true
	case redis.IsLoadingError(err), redis.IsReadOnlyError(err), redis.IsMasterDownError(err),
		redis.IsClusterDownError(err), redis.IsTryAgainError(err):
		// A restarted server replaying its AOF, or a replica not yet
		// promoted: both clear by themselves within seconds.
		return true
	case strings.Contains(err.Error(), "sentinels specified in configuration are unreachable"):
		return true // go-redis has no typed error for it
	}
	return false
}
