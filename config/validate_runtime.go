package config

import "net"

// checkRuntime validates Redis TLS and Sentinel, logs and the
// observability endpoint.
func (d *decoder) checkRuntime(c *Config) {
	r := c.Store.Redis
	t := r.TLS
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify) {
		d.at("store.redis.tls.enabled", "is false but other tls keys are set; set enabled: true, or remove them")
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		d.at("store.redis.tls.cert_file", "cert_file and key_file go together (a client certificate needs its key)")
	}
	if sn := r.Sentinel; sn.Enabled() {
		if sn.MasterName == "" {
			d.at("store.redis.sentinel.master_name", "is required with sentinel addrs (the name the sentinels monitor)")
		}
		if len(sn.Addrs) == 0 {
			d.at("store.redis.sentinel.addrs", "needs at least one sentinel host:port")
		}
		for _, a := range sn.Addrs {
			if _, _, err := net.SplitHostPort(a); err != nil {
				d.at("store.redis.sentinel.addrs", "%q is not host:port", a)
				break
			}
		}
		if r.Network == "unix" {
			d.at("store.redis.network", "must be tcp with sentinel (sentinels hand out host:port addresses)")
		}
	}
	d.checkSecret("store.redis.sentinel.password", r.Sentinel.Password)

	switch c.Log.Format {
	case LogJSON, LogText:
	default:
		d.at("log.format", "unknown format %q%s", c.Log.Format, want(c.Log.Format, LogJSON, LogText))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		d.at("log.level", "unknown level %q%s", c.Log.Level, want(c.Log.Level, "debug", "info", "warn", "error"))
	}
	if l := c.Observability.Listen; l != "" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			d.at("observability.listen", "%q is not host:port (e.g. :9090); empty turns the endpoint off", l)
		}
	}
	h := c.HTTP
	d.positive("http.read_header_timeout", h.ReadHeaderTimeout)
	d.positive("http.read_timeout", h.ReadTimeout)
	d.positive("http.write_timeout", h.WriteTimeout)
	d.positive("http.idle_timeout", h.IdleTimeout)
	if h.ReadHeaderTimeout > h.ReadTimeout && h.ReadTimeout > 0 {
		d.at("http.read_header_timeout", "%v is longer than read_timeout (%v), which covers the headers too", h.ReadHeaderTimeout, h.ReadTimeout)
	}
	d.atLeast("http.max_header_bytes", h.MaxHeaderBytes, 4096)
}
