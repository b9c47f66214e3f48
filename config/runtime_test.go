package config

import (
	"reflect"
	"testing"
)

func TestRuntimeSections(t *testing.T) {
	c, err := Parse("t.yaml", []byte(minimal+`
store:
  backend: redis
  redis:
    password: env:REDIS_PASSWORD
    tls:
      enabled: true
      ca_file: /etc/patchgate/redis/ca.pem
      cert_file: /etc/patchgate/redis/tls.crt
      key_file: /etc/patchgate/redis/tls.key
      server_name: redis.internal
    sentinel:
      master_name: patchgate
      addrs: [sentinel-0.redis:26379, sentinel-1.redis:26379]
      password: env:SENTINEL_PASSWORD
log:
  format: text
  level: debug
observability:
  listen: 127.0.0.1:9191
`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Store.Redis
	want := RedisTLS{Enabled: true, CAFile: "/etc/patchgate/redis/ca.pem", CertFile: "/etc/patchgate/redis/tls.crt",
		KeyFile: "/etc/patchgate/redis/tls.key", ServerName: "redis.internal"}
	if r.TLS != want {
		t.Errorf("tls = %+v", r.TLS)
	}
	if !reflect.DeepEqual(r.Sentinel, RedisSentinel{MasterName: "patchgate",
		Addrs: []string{"sentinel-0.redis:26379", "sentinel-1.redis:26379"}, Password: "env:SENTINEL_PASSWORD"}) {
		t.Errorf("sentinel = %+v", r.Sentinel)
	}
	if c.Log != (Log{Format: LogText, Level: "debug"}) || c.Observability.Listen != "127.0.0.1:9191" {
		t.Errorf("log %+v observability %+v", c.Log, c.Observability)
	}

	// Defaults: JSON logs at info, the endpoint on :9090; "" turns it off.
	c, err = Parse("t.yaml", []byte(minimal+"observability:\n  listen: \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log != (Log{Format: LogJSON, Level: "info"}) || c.Observability.Listen != "" {
		t.Errorf("log %+v observability %+v", c.Log, c.Observability)
	}
}
