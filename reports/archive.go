package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
func (a LocalArchive) Put(ctx context.Context, name string, data []byte, _ string) (runbooks.ArchivedFile, error) {
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
	if err := writeAtomic(path, data); err != nil {
		return runbooks.ArchivedFile{}, err
	}
	sum := sha256.Sum256(data)
	return runbooks.ArchivedFile{Name: filepath.Base(rel), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Location: path}, nil
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".evidence-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
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
