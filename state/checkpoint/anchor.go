package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Anchor keeps signed checkpoints outside the store, write-once.
type Anchor interface {
	// Put stores data under name; if name exists it fails with ErrExists and
	// leaves the stored object as it was.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the object at name, or an error wrapping ErrAbsent.
	Get(ctx context.Context, name string) ([]byte, error)
	// List returns every name under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// String says where the anchor is (s3://bucket/prefix, a directory).
	String() string
}

// Anchor errors.
var (
	ErrExists = errors.New("anchor: name already written")
	ErrAbsent = errors.New("anchor: no such name")
)

// Dir is an append-only directory anchor for single-replica (bbolt)
// installs: each checkpoint is a new file created with O_EXCL, read-only
// (0444) and fsynced with its directory; nothing is ever opened for writing
// again. It resists mistakes and a store-only attacker; against root on the
// host, put the directory on WORM storage or use the S3 anchor.
type Dir struct {
	Path string
}

var _ Anchor = Dir{}

func (d Dir) String() string { return d.Path }

// file maps an anchor name to a path inside the directory, refusing names
// that would leave it.
func (d Dir) file(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("anchor name %q is not a clean relative path", name)
	}
	return filepath.Join(d.Path, filepath.FromSlash(name)), nil
}

// Put creates name exclusively.
func (d Dir) Put(_ context.Context, name string, data []byte) error {
	p, err := d.file(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("anchor %s: %w", name, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("anchor %s in %s: %w", name, d.Path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("anchor %s: %w", name, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("anchor %s: %w", name, werr)
	}
	return syncDir(filepath.Dir(p))
}

// syncDir makes a new file's directory entry durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync anchor directory %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync anchor directory %s: %w", dir, err)
	}
	return nil
}

// Get reads name.
func (d Dir) Get(_ context.Context, name string) ([]byte, error) {
	p, err := d.file(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("anchor %s in %s: %w", name, d.Path, ErrAbsent)
	}
	if err != nil {
		return nil, fmt.Errorf("read anchor %s: %w", name, err)
	}
	return b, nil
}

// List walks the directory for names under prefix.
func (d Dir) List(_ context.Context, prefix string) ([]string, error) {
	var out []string
	root := os.DirFS(d.Path)
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
	}
	err := fs.WalkDir(root, start, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == start {
			return fs.SkipAll
		}
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list anchors under %q in %s: %w", prefix, d.Path, err)
	}
	sort.Strings(out)
	return out, nil
}
