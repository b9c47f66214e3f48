package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeEnv(vars map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "redis")
	if err := os.WriteFile(file, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := fakeEnv(map[string]string{"REDIS_PASSWORD": "s3cret-from-env", "EMPTY": ""})
	tests := []struct {
		secret  Secret
		want    string
		wantErr string
	}{
		{"", "", ""},
		{"env:REDIS_PASSWORD", "s3cret-from-env", ""},
		{"env:EMPTY", "", ""},
		{"env:UNSET", "", "env:UNSET: the environment variable is not set"},
		{Secret("file:" + file), "s3cret-from-file", ""},
		{Secret("file:" + filepath.Join(dir, "missing")), "", "no such file"},
		{"file:relative/path", "", "must be absolute"},
		{"hunter2", "", "secrets must be env:NAME or file:/path references"},
	}
	for _, tt := range tests {
		t.Run(string(tt.secret), func(t *testing.T) {
			got, err := tt.secret.Resolve(env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows the inline value", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSecretResolveNilLookupUsesEnvironment(t *testing.T) {
	t.Setenv("PATCHGATE_TEST_SECRET", "from-os")
	got, err := Secret("env:PATCHGATE_TEST_SECRET").Resolve(nil)
	if err != nil || got != "from-os" {
		t.Fatalf("Resolve(nil) = %q, %v", got, err)
	}
}

// TestSecretNeverPrinted formats secrets every way a log or a dump might:
// a reference prints as itself, anything else as [redacted].
func TestSecretNeverPrinted(t *testing.T) {
	type holder struct{ Password Secret }
	for _, tt := range []struct {
		secret Secret
		shown  string
	}{
		{"env:REDIS_PASSWORD", "env:REDIS_PASSWORD"},
		{"hunter2", "[redacted]"},
	} {
		h := holder{tt.secret}
		js, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "password", tt.secret)
		outputs := []string{
			tt.secret.String(), fmt.Sprint(tt.secret), fmt.Sprintf("%v %+v %s", h, h, tt.secret),
			fmt.Sprintf("%#v", h), string(js), logged.String(),
		}
		for _, out := range outputs {
			if strings.Contains(out, "hunter2") || !strings.Contains(out, tt.shown) {
				t.Errorf("%q printed as %q, want it to show %q", tt.secret, out, tt.shown)
			}
		}
	}
}

func TestSecretText(t *testing.T) {
	var s Secret
	if err := s.UnmarshalText([]byte("file:/run/secrets/x")); err != nil || s != "file:/run/secrets/x" {
		t.Errorf("UnmarshalText(reference) = %v, %q", err, s)
	}
	if err := s.UnmarshalText([]byte("hunter2")); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("UnmarshalText(literal) = %v, want an error that does not echo it", err)
	}
}
