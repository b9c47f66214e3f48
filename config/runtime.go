package config

// This file holds the sections that shape how the process runs rather than
// what it does: Redis transport security and Sentinel, logs, and the
// observability endpoint.

// RedisTLS encrypts the connection to Redis (and to the sentinels). The
// files are PEM, typically mounted from a Secret.
type RedisTLS struct {
	Enabled    bool
	CAFile     string // CA bundle for the server certificate; empty: the system roots
	CertFile   string // client certificate (servers with tls-auth-clients); with KeyFile
	KeyFile    string
	ServerName string // name to verify; empty: the host dialled
	// InsecureSkipVerify accepts any server certificate: for a first
	// connection test only.
	InsecureSkipVerify bool
}

// RedisSentinel finds the Redis master through Sentinel. Set when
// MasterName is; then store.redis.addr is not used.
type RedisSentinel struct {
	MasterName string
	Addrs      []string // host:port of the sentinels
	Password   Secret   // the sentinels' own password, if any
}

// Enabled reports whether Sentinel is configured.
func (s RedisSentinel) Enabled() bool { return s.MasterName != "" || len(s.Addrs) > 0 }

// Log shapes the process log.
type Log struct {
	Format string // LogJSON (default) or LogText
	Level  string // debug, info (default), warn, error
}

// Log formats.
const (
	LogJSON = "json"
	LogText = "text"
)

// Observability configures the /metrics, /healthz and /readyz endpoint.
type Observability struct {
	// Listen is the address served by `patchgate serve` (default :9090);
	// empty turns the endpoint off.
	Listen string
}
