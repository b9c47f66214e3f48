package saml

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFetchMetadata(t *testing.T) {
	doc := entity("https://idp.bank", keyDesc{"signing", newCertB64(t, "idp", 1, 45*day)})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(doc))
		case "/huge":
			w.Write([]byte(strings.Repeat(" ", 4096)))
		case "/missing":
			http.NotFound(w, r)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	certs, err := FetchMetadata(context.Background(), srv.Client(), srv.URL+"/ok", Limits{})
	if err != nil || len(certs) != 1 || certs[0].Source != srv.URL+"/ok" {
		t.Fatalf("ok: certs %+v err %v", certs, err)
	}
	failures := []struct {
		path, want string
		limits     Limits
	}{
		{"/huge", "exceeds the 1024-byte limit", Limits{MaxBytes: 1024}},
		{"/missing", "HTTP 404", Limits{}},
		{"/slow", "deadline exceeded", Limits{Timeout: 50 * time.Millisecond}},
	}
	for _, f := range failures {
		_, err := FetchMetadata(context.Background(), srv.Client(), srv.URL+f.path, f.limits)
		if err == nil || !strings.Contains(err.Error(), f.want) || !strings.Contains(err.Error(), srv.URL+f.path) {
			t.Errorf("%s: err = %v, want it to name the URL and say %q", f.path, err, f.want)
		}
	}
}

func TestReadMetadataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idp.xml")
	doc := entity("https://idp.bank", keyDesc{"signing", newCertB64(t, "idp", 1, 45*day)})
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	certs, err := ReadMetadataFile(path, Limits{})
	if err != nil || len(certs) != 1 || certs[0].Source != path {
		t.Fatalf("certs %+v err %v", certs, err)
	}
}
