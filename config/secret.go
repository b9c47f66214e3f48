package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Lookup finds an environment variable, like os.LookupEnv, which is what a
// nil Lookup means; tests pass their own so they never touch the process
// environment.
type Lookup func(name string) (value string, ok bool)

// Secret is a reference to a secret, never the secret itself: "env:NAME"
// (an environment variable) or "file:/abs/path" (a mounted file), or empty
// for none. Keeping values out of the file means the file can live in Git
// and be pasted into a ticket; keeping them out of String means a logged or
// printed Config cannot leak one.
type Secret string

const (
	secretEnv  = "env:"
	secretFile = "file:"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// errInlineSecret is the message for a literal where a reference belongs.
var errInlineSecret = errors.New("secrets must be env:NAME or file:/path references")

// check reports why s is not a usable reference; nil for a reference or "".
func (s Secret) check() error {
	ref := string(s)
	switch {
	case ref == "":
		return nil
	case strings.HasPrefix(ref, secretEnv):
		if !envName.MatchString(ref[len(secretEnv):]) {
			return fmt.Errorf("%q: an environment variable name is letters, digits and _", ref)
		}
		return nil
	case strings.HasPrefix(ref, secretFile):
		if !filepath.IsAbs(ref[len(secretFile):]) {
			return fmt.Errorf("%q: the path must be absolute, so it does not depend on the working directory", ref)
		}
		return nil
	}
	return errInlineSecret
}

// Resolve returns the secret's value: the environment variable through
// lookup (os.LookupEnv when nil), or the file's content without its trailing
// newline. An empty Secret resolves to "". Errors name the reference, never
// a value.
func (s Secret) Resolve(lookup func(string) (string, bool)) (string, error) {
	if err := s.check(); err != nil {
		return "", fmt.Errorf("resolve secret: %w", err)
	}
	ref := string(s)
	switch {
	case strings.HasPrefix(ref, secretEnv):
		if lookup == nil {
			lookup = os.LookupEnv
		}
		v, ok := lookup(ref[len(secretEnv):])
		if !ok {
			return "", fmt.Errorf("resolve secret %s: the environment variable is not set", ref)
		}
		return v, nil
	case strings.HasPrefix(ref, secretFile):
		b, err := os.ReadFile(ref[len(secretFile):])
		if err != nil {
			return "", fmt.Errorf("resolve secret %s: %w", ref, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}

// IsZero reports whether no secret is configured.
func (s Secret) IsZero() bool { return s == "" }

// String prints the reference; a Secret holding anything else (only code
// can build one: Parse refuses it) prints as redacted.
func (s Secret) String() string {
	if s.check() != nil {
		return "[redacted]"
	}
	return string(s)
}

// GoString keeps %#v from printing the raw string.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// LogValue keeps slog from printing the raw string.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText writes the reference, so JSON and YAML output show where the
// secret comes from and never what it is.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts a reference and refuses a literal.
func (s *Secret) UnmarshalText(b []byte) error {
	v := Secret(b)
	if err := v.check(); err != nil {
		return err
	}
	*s = v
	return nil
}
