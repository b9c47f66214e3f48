package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// ManifestSchema versions the manifest layout.
const ManifestSchema = "patchgate.manifest/v1"

// Manifest lists every other file of a cycle's report with its SHA-256 and
// size, so a GRC tool (or an auditor with sha256sum) can check the set. It
// does not list itself; its own hash is in the cycle's audit log.
type Manifest struct {
	Schema    string         `json:"schema"`
	Cycle     string         `json:"cycle"`
	Tenant    string         `json:"tenant"`
	Generated time.Time      `json:"generated"`
	AuditHead string         `json:"audit_head"`
	Files     []ManifestFile `json:"files"`
}

// ManifestFile is one listed file.
type ManifestFile struct {
	Name        string `json:"name"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// FileSum is a file's name and SHA-256, as the PDF cover prints them.
type FileSum struct {
	Name   string
	SHA256 string
}

// file is one report file before it is archived.
type file struct {
	name, contentType, sum string
	data                   []byte
	size                   int64 // set when data is let go
}

func newFile(name, contentType string, data []byte) file {
	s := sha256.Sum256(data)
	return file{name: name, contentType: contentType, sum: hex.EncodeToString(s[:]), data: data, size: int64(len(data))}
}

func manifestOf(c *runbooks.Cycle, at time.Time, head string, files []file) (file, error) {
	m := Manifest{Schema: ManifestSchema, Cycle: c.ID, Tenant: c.Tenant, Generated: at, AuditHead: head}
	for _, f := range files {
		m.Files = append(m.Files, ManifestFile{Name: f.name, SHA256: f.sum, Size: f.size, ContentType: f.contentType})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return file{}, fmt.Errorf("encode %s: %w", FileManifest, err)
	}
	return newFile(FileManifest, "application/json", append(b, '\n')), nil
}
