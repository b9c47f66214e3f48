package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// LocalArchive keeps report files under a local directory: the default
// archive when no S3 bucket is configured.
type LocalArchive struct {
	Dir string
}

var _ runbooks.Archive = LocalArchive{}

// Put writes data to Dir/name atomically (a temporary file renamed over the
// name), so a second Put of the same name leaves one complete file and a
// crash mid-write leaves the old one. name may hold '/' for a sub-directory
// but may not leave Dir.
func (a LocalArchive) Put(ctx context.Context, name string, data []byte, contentType string) (runbooks.ArchivedFile, error) {
	return a.PutStream(ctx, name, contentType, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// StreamArchive is an archive that takes a file while it is being written,
// so a large report file (the evidence JSON, the hosts CSV) is never held
// whole in memory. An archive that is not one gets the file's bytes at once.
type StreamArchive interface {
	PutStream(ctx context.Context, name, contentType string, write func(io.Writer) error) (runbooks.ArchivedFile, error)
}

var _ StreamArchive = LocalArchive{}

// PutStream writes what write writes to Dir/name atomically, hashing it on
// the way, with the same guarantees as Put.
func (a LocalArchive) PutStream(ctx context.Context, name, _ string, write func(io.Writer) error) (runbooks.ArchivedFile, error) {
	if err := ctx.Err(); err != nil {
		return runbooks.ArchivedFile{}, err
	}
	rel := filepath.Clean(filepath.FromSlash(name))
	if name == "" || filepath.IsAbs(rel) || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return runbooks.ArchivedFile{}, fmt.Errorf("archive: file name %q leaves the archive directory", name)
	}
	path := filepath.Join(a.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return runbooks.ArchivedFile{}, fmt.Errorf("archive %s: %w", name, err)
	}
	hw := &hashWriter{h: sha256.New()}
	if err := writeAtomic(path, hw, write); err != nil {
		return runbooks.ArchivedFile{}, err
	}
	return runbooks.ArchivedFile{Name: filepath.Base(rel), SHA256: hex.EncodeToString(hw.h.Sum(nil)), Size: hw.n, Location: path}, nil
}

// hashWriter hashes and counts what goes to the file.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func writeAtomic(path string, hw *hashWriter, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".evidence-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	hw.w = tmp
	if err := write(hw); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
