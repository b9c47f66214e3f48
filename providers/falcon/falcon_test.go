package falcon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

var testNow = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// newTestClient builds a Client on the fake over TLS with client credentials.
func newTestClient(t *testing.T, f *fakeFalcon, srv *httptest.Server, mod func(*Config)) (*Client, *sleeps, *bytes.Buffer) {
	t.Helper()
	sl := &sleeps{}
	logs := &bytes.Buffer{}
	cfg := Config{
		ClientID: "client-id-1", ClientSecret: f.secret,
		HostOverride: srv.Listener.Addr().String(), HTTPClient: srv.Client(),
		Clock: runbooks.ClockFunc(func() time.Time { return testNow }),
		Log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		sleep: sl.sleep,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl, logs
}

func rhel8Host(id string) runbooks.Host {
	return runbooks.Host{ID: id, Name: id + ".bank.internal", Cloud: runbooks.AWS, Account: "111122223333",
		OS: "Red Hat Enterprise Linux", OSVersion: "8.10", Kernel: "4.18.0-553.22.1.el8_10.x86_64",
		PendingKernel: "4.18.0-553.27.1.el8_10.x86_64", HasSensor: true, SensorVersion: "7.19.18913"}
}

func device(h runbooks.Host, agent string) fakeDevice {
	return fakeDevice{ID: "dev-" + h.ID, Hostname: strings.SplitN(h.Name, ".", 2)[0], InstanceID: h.ID, Account: h.Account,
		Agent: agent, Kernel: h.Kernel, RFM: "no", LastSeen: testNow.Add(-2 * time.Minute).Format(time.RFC3339),
		Platform: "Linux", OSVersion: "RHEL 8.10"}
}

func TestPrePatch(t *testing.T) {
	const target = "4.18.0-553.27.1.el8_10.x86_64"
	rhel7 := runbooks.Host{ID: "i-rhel7", Name: "legacy-01", Cloud: runbooks.AWS, Account: "111122223333",
		OS: "Red Hat Enterprise Linux", OSVersion: "7.9", Kernel: "3.10.0-1160.119.1.el7.x86_64",
		PendingKernel: "3.10.0-1160.125.1.el7.x86_64"}
	rhel7Overrides := []KernelOverride{
		{OS: "rhel7", Kernel: ">3.10.0-1160", Sensor: "6.x", Supported: false, Reason: "6.x sensors lag RHEL 7 ELS kernels"},
		{OS: "Red Hat.* 8\\.", Kernel: "4.18.0-553.99*", Supported: true},
	}
	cases := []struct {
		name    string
		host    runbooks.Host
		dev     *fakeDevice // nil: Falcon does not know the host
		kernels []fakeKernel
		want    []string // substrings of the one finding; nil: no finding
	}{
		{name: "supported by base package", host: rhel8Host("i-ok"),
			kernels: []fakeKernel{{Distro: "rhel8", Release: target, Base: []string{"7.18.18803", "7.19.18913"}}}},
		{name: "supported through ZTL, build with trailing .0", host: rhel8Host("i-ztl"), dev: ptr(device(rhel8Host("i-ztl"), "7.19.18913.0")),
			kernels: []fakeKernel{{Distro: "rhel8", Release: target, ZTL: []string{"7.19.18913"}}}},
		{name: "sensor build not listed for the kernel", host: rhel8Host("i-old"), dev: ptr(device(rhel8Host("i-old"), "7.17.18721")),
			kernels: []fakeKernel{{Distro: "rhel8", Release: target, Base: []string{"7.19.18913", "7.20.19113"}}},
			want:    []string{"sensor 7.17.18721", "kernel " + target, "now 4.18.0-553.22.1.el8_10.x86_64", "7.20.19113", "reduced-functionality"}},
		{name: "kernel unknown to Falcon", host: rhel8Host("i-new"),
			want: []string{"7.19.18913", target, "supported-kernel list does not have this kernel"}},
		{name: "override: unsupported although the API lists it", host: rhel7,
			dev:     ptr(fakeDevice{ID: "dev-rhel7", Hostname: "legacy-01", InstanceID: "i-rhel7", Agent: "6.58.16407", Kernel: rhel7.Kernel, RFM: "no", LastSeen: testNow.Format(time.RFC3339), Platform: "Linux"}),
			kernels: []fakeKernel{{Distro: "rhel7", Release: rhel7.PendingKernel, Base: []string{"6.58.16407"}}},
			want:    []string{"sensor 6.58.16407", "3.10.0-1160.125.1.el7.x86_64", "now 3.10.0-1160.119.1.el7.x86_64", "6.x sensors lag RHEL 7 ELS kernels"}},
		{name: "override does not catch sensor 7.x on RHEL 7", host: rhel7,
			dev:     ptr(fakeDevice{ID: "dev-rhel7", Hostname: "legacy-01", InstanceID: "i-rhel7", Agent: "7.19.18913", RFM: "no", LastSeen: testNow.Format(time.RFC3339), Platform: "Linux"}),
			kernels: []fakeKernel{{Distro: "rhel7", Release: rhel7.PendingKernel, Base: []string{"7.19.18913"}}}},
		{name: "override: supported although the API lacks it", host: func() runbooks.Host {
			h := rhel8Host("i-pinned")
			h.PendingKernel = "4.18.0-553.99.1.el8_10.x86_64"
			return h
		}()},
		{name: "no Falcon sensor", host: rhel8Host("i-bare"), dev: &fakeDevice{},
			want: []string{"no Falcon sensor"}},
		{name: "already in reduced-functionality mode", host: rhel8Host("i-rfm"), dev: func() *fakeDevice {
			d := device(rhel8Host("i-rfm"), "7.19.18913")
			d.RFM = "yes"
			return &d
		}(), kernels: []fakeKernel{{Release: target, Base: []string{"7.19.18913"}}},
			want: []string{"already in reduced-functionality mode"}},
		{name: "Windows host with a pending kernel-like build is not kernel-checked", host: runbooks.Host{
			ID: "i-win", Name: "win-01", Cloud: runbooks.AWS, OS: "Microsoft Windows Server 2022 Datacenter", PendingKernel: "10.0.20348.2700"},
			dev: &fakeDevice{ID: "dev-win", Hostname: "win-01", InstanceID: "i-win", Agent: "7.19.19003", RFM: "no", Platform: "Windows"}},
		{name: "matched by hostname when the instance ID is unknown to Falcon", host: rhel8Host("i-byname"),
			dev: func() *fakeDevice {
				d := device(rhel8Host("i-byname"), "7.17.18721")
				d.InstanceID = ""
				return &d
			}(),
			kernels: []fakeKernel{{Release: target, Base: []string{"7.19.18913"}}},
			want:    []string{"sensor 7.17.18721"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, testNow)
			switch {
			case tc.dev == nil:
				f.devices = []fakeDevice{device(tc.host, tc.host.SensorVersion)}
			case tc.dev.ID != "":
				f.devices = []fakeDevice{*tc.dev}
			}
			f.kernels = tc.kernels
			c, _, _ := newTestClient(t, f, srv, func(cfg *Config) { cfg.Overrides = rhel7Overrides })
			got, err := c.PrePatch(context.Background(), []runbooks.Host{tc.host})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, got, tc.host, tc.want)
		})
	}
}

func TestPostPatch(t *testing.T) {
	h := rhel8Host("i-post")
	cases := []struct {
		name string
		edit func(*fakeDevice)
		none bool // Falcon does not know the host
		want []string
	}{
		{name: "online and fully functional", edit: func(*fakeDevice) {}},
		{name: "reduced-functionality mode after reboot", edit: func(d *fakeDevice) { d.RFM = "yes"; d.Kernel = "4.18.0-553.27.1.el8_10.x86_64" },
			want: []string{"reduced-functionality mode on kernel 4.18.0-553.27.1.el8_10.x86_64 after patching"}},
		{name: "RFM unknown counts as functional", edit: func(d *fakeDevice) { d.RFM = "Unknown" }},
		{name: "stale last_seen", edit: func(d *fakeDevice) { d.LastSeen = testNow.Add(-40 * time.Minute).Format(time.RFC3339) },
			want: []string{"offline", "last seen 40m0s ago", "more than 15m0s"}},
		{name: "within the window", edit: func(d *fakeDevice) { d.LastSeen = testNow.Add(-14 * time.Minute).Format(time.RFC3339) }},
		{name: "never reported", edit: func(d *fakeDevice) { d.LastSeen = "" }, want: []string{"never reported"}},
		{name: "missing sensor", none: true, want: []string{"no Falcon sensor", "after patching"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, testNow)
			if !tc.none {
				d := device(h, "7.19.18913")
				tc.edit(&d)
				f.devices = []fakeDevice{d}
			}
			c, _, _ := newTestClient(t, f, srv, nil)
			got, err := c.PostPatch(context.Background(), []runbooks.Host{h})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, got, h, tc.want)
		})
	}
}

func checkFindings(t *testing.T, got []runbooks.Finding, h runbooks.Host, want []string) {
	t.Helper()
	if want == nil {
		if len(got) != 0 {
			t.Fatalf("want no finding, got %+v", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("want one finding, got %+v", got)
	}
	if got[0].HostID != h.ID || got[0].HostName != h.Name {
		t.Errorf("finding names %s/%s, want %s/%s", got[0].HostID, got[0].HostName, h.ID, h.Name)
	}
	for _, w := range want {
		if !strings.Contains(got[0].Reason, w) {
			t.Errorf("reason %q lacks %q", got[0].Reason, w)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestDevicesPagination pages device IDs across several scroll pages and
// splits details calls, with 150 hosts (two FQL filter batches).
func TestDevicesPagination(t *testing.T) {
	f, srv := newFake(t, testNow)
	var hosts []runbooks.Host
	for i := range 150 {
		h := rhel8Host(fmt.Sprintf("i-%04d", i))
		hosts = append(hosts, h)
		d := device(h, "7.19.18913")
		if i%10 == 0 { // some only findable by hostname
			d.InstanceID = ""
		}
		f.devices = append(f.devices, d)
	}
	f.devices = append(f.devices, fakeDevice{ID: "dev-other", Hostname: "other", InstanceID: "i-other"})
	c, _, _ := newTestClient(t, f, srv, func(cfg *Config) { cfg.PageSize = 40; cfg.DetailsBatch = 33 })
	got, err := c.Devices(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("matched %d of 150 hosts", len(got))
	}
	for i, h := range hosts {
		d := got[h.ID]
		want := "instance_id"
		if i%10 == 0 {
			want = "hostname"
		}
		if d.DeviceID != "dev-"+h.ID || d.MatchedBy != want || d.AgentVersion != "7.19.18913" || d.Platform != "Linux" ||
			d.Prevention.ID != "prev-1" || !d.Prevention.Applied || d.SensorUpdate.ID != "su-1" || d.LastSeen.IsZero() {
			t.Fatalf("host %s: %+v", h.ID, d)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// instance IDs: filters of 100 + 50 hosts find 90 + 45 devices → pages
	// 40,40,10 + 40,5; hostnames: 15 hosts (30 name forms) → one page.
	if n := f.calls["/devices/queries/devices-scroll/v1"]; n != 6 {
		t.Errorf("scroll requests = %d, want 6", n)
	}
	for _, l := range f.scrollLimit {
		if l != 40 {
			t.Errorf("scroll limit %d, want 40", l)
		}
	}
	total := 0
	for _, n := range f.detailSizes {
		if n > 33 {
			t.Errorf("details call with %d ids, want ≤ 33", n)
		}
		total += n
	}
	if total != 150 || len(f.detailSizes) != 6 { // 135 → 4×33 + 3, 15 → 1
		t.Errorf("details calls %v", f.detailSizes)
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("429 retried after X-Ratelimit-Retryafter", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		h := rhel8Host("i-rl")
		f.devices = []fakeDevice{device(h, "7.19.18913")}
		f.throttle["/devices/queries/devices-scroll/v1"] = 2
		f.throttle["/devices/entities/devices/v2"] = 1 // a POST: its body must be re-sent
		c, sl, _ := newTestClient(t, f, srv, nil)
		got, err := c.Devices(context.Background(), []runbooks.Host{h})
		if err != nil {
			t.Fatal(err)
		}
		if got[h.ID].DeviceID != "dev-i-rl" {
			t.Fatalf("got %+v", got)
		}
		waits := sl.all()
		if len(waits) != 3 {
			t.Fatalf("waits %v, want three", waits)
		}
		for _, w := range waits {
			if w != 3*time.Second {
				t.Errorf("waited %s, want 3s (retry-after epoch − now)", w)
			}
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		f.throttle["/devices/queries/devices-scroll/v1"] = 100
		c, sl, _ := newTestClient(t, f, srv, func(cfg *Config) { cfg.MaxRetries = 2 })
		_, err := c.Devices(context.Background(), []runbooks.Host{rhel8Host("i-x")})
		if err == nil {
			t.Fatal("want an error after the retries run out")
		}
		if n := f.calls["/devices/queries/devices-scroll/v1"]; n != 3 || len(sl.all()) != 2 {
			t.Errorf("requests %d, waits %v; want 3 requests and 2 waits", n, sl.all())
		}
	})
	t.Run("spent window holds the next request", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		h := rhel8Host("i-win")
		f.devices = []fakeDevice{device(h, "7.19.18913")}
		f.spend["/devices/queries/devices-scroll/v1"] = true // remaining 0 on a 200
		c, sl, _ := newTestClient(t, f, srv, nil)
		if _, err := c.Devices(context.Background(), []runbooks.Host{h}); err != nil {
			t.Fatal(err)
		}
		if w := sl.all(); len(w) != 1 || w[0] != 3*time.Second {
			t.Errorf("waits %v, want one of 3s before the details call", w)
		}
	})
	t.Run("a wait longer than allowed fails fast", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		f.throttle["/devices/queries/devices-scroll/v1"] = 1
		c, sl, _ := newTestClient(t, f, srv, func(cfg *Config) { cfg.MaxRetryWait = time.Second })
		_, err := c.Devices(context.Background(), []runbooks.Host{rhel8Host("i-x")})
		if err == nil || !strings.Contains(err.Error(), "more than the 1s allowed") || len(sl.all()) != 0 {
			t.Fatalf("err %v, waits %v", err, sl.all())
		}
	})
}

// TestSecretsStayOut: neither the client secret nor the bearer token appear
// in logs or errors, including when the servers echo them.
func TestSecretsStayOut(t *testing.T) {
	check := func(t *testing.T, f *fakeFalcon, logs *bytes.Buffer, err error) {
		t.Helper()
		for _, s := range []string{f.secret, f.token} {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("error carries a secret: %v", err)
			}
			if strings.Contains(logs.String(), s) {
				t.Errorf("logs carry a secret:\n%s", logs)
			}
		}
	}
	t.Run("token endpoint echoes a wrong secret", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		c, _, logs := newTestClient(t, f, srv, func(cfg *Config) { cfg.ClientSecret = "wrong-secret-value-42" })
		_, err := c.PrePatch(context.Background(), []runbooks.Host{rhel8Host("i-x")})
		if err == nil {
			t.Fatal("want an authentication error")
		}
		if strings.Contains(err.Error(), "wrong-secret-value-42") {
			t.Errorf("error carries the secret: %v", err)
		}
		check(t, f, logs, err)
	})
	t.Run("API error echoes the bearer token", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		f.fail["/devices/queries/devices-scroll/v1"] = "forbidden for $AUTH"
		c, _, logs := newTestClient(t, f, srv, nil)
		_, err := c.PrePatch(context.Background(), []runbooks.Host{rhel8Host("i-x")})
		if err == nil {
			t.Fatal("want a 403 error")
		}
		check(t, f, logs, err)
	})
	t.Run("a whole successful run", func(t *testing.T) {
		f, srv := newFake(t, testNow)
		h := rhel8Host("i-ok")
		f.devices = []fakeDevice{device(h, "7.19.18913")}
		f.throttle["/devices/queries/devices-scroll/v1"] = 1
		c, _, logs := newTestClient(t, f, srv, nil)
		_, err := c.PrePatch(context.Background(), []runbooks.Host{h})
		check(t, f, logs, err)
		if f.calls["/oauth2/token"] != 1 {
			t.Errorf("token requests = %d, want 1", f.calls["/oauth2/token"])
		}
	})
}

func TestAccessToken(t *testing.T) {
	f, srv := newFake(t, testNow)
	h := rhel8Host("i-at")
	f.devices = []fakeDevice{device(h, "7.19.18913")}
	c, _, _ := newTestClient(t, f, srv, func(cfg *Config) {
		cfg.ClientID, cfg.ClientSecret, cfg.AccessToken = "", "", f.token
	})
	got, err := c.PostPatch(context.Background(), []runbooks.Host{h})
	if err != nil || len(got) != 0 {
		t.Fatalf("findings %v, err %v", got, err)
	}
	if f.calls["/oauth2/token"] != 0 {
		t.Error("an access token must not fetch another")
	}
}

func TestNewRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no credentials":   {},
		"both credentials": {ClientID: "a", ClientSecret: "b", AccessToken: "c"},
		"unknown cloud":    {ClientID: "a", ClientSecret: "b", Cloud: "mars-1"},
		"autodiscover":     {ClientID: "a", ClientSecret: "b", Cloud: "autodiscover"},
		"bad override":     {ClientID: "a", ClientSecret: "b", Overrides: []KernelOverride{{Kernel: ">banana"}}},
		"bad os regexp":    {ClientID: "a", ClientSecret: "b", Overrides: []KernelOverride{{OS: "(rhel"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	if _, err := New(Config{ClientID: "a", ClientSecret: "b", Cloud: "eu-1"}); err != nil {
		t.Errorf("eu-1: %v", err)
	}
}

// TestKernelsPaging reads 150 releases (two FQL batches) in pages of 20 and
// keeps every list of sensor builds.
func TestKernelsPaging(t *testing.T) {
	f, srv := newFake(t, testNow)
	var releases []string
	for i := range 150 {
		r := fmt.Sprintf("5.14.0-%d.el9.x86_64", 400+i)
		releases = append(releases, r)
		f.kernels = append(f.kernels, fakeKernel{Distro: "rhel9", Release: r, Base: []string{"7.19.18913"}, ZTL: []string{"7.20.19113"}})
	}
	f.kernels = append(f.kernels, fakeKernel{Distro: "rhel9", Release: "not-asked"})
	c, _, _ := newTestClient(t, f, srv, nil)
	c.kernelPage = 20
	got, err := c.Kernels(context.Background(), append(releases, releases[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("got %d releases, want 150", len(got))
	}
	for _, r := range releases {
		ks := got[r]
		if len(ks) != 1 || !ks[0].Supports("7.19.18913.0") || !ks[0].Supports("7.20.19113") || ks[0].Supports("7.18.18803") || ks[0].Distro != "rhel9" {
			t.Fatalf("%s: %+v", r, ks)
		}
	}
	if n := f.calls["/policy/combined/sensor-update-kernels/v1"]; n != 8 { // 100 → 5 pages, 50 → 3
		t.Errorf("kernel requests = %d, want 8", n)
	}
}

// TestUnavailableRetried: a 503 is retried with backoff and the call succeeds.
func TestUnavailableRetried(t *testing.T) {
	f, srv := newFake(t, testNow)
	h := rhel8Host("i-503")
	f.devices = []fakeDevice{device(h, "7.19.18913")}
	f.unavailable = map[string]int{"/devices/entities/devices/v2": 2}
	c, sl, _ := newTestClient(t, f, srv, nil)
	got, err := c.PostPatch(context.Background(), []runbooks.Host{h})
	if err != nil || len(got) != 0 {
		t.Fatalf("findings %v, err %v", got, err)
	}
	if w := sl.all(); len(w) != 2 || w[0] != time.Second || w[1] != 2*time.Second {
		t.Errorf("waits %v, want 1s then 2s", w)
	}
}
