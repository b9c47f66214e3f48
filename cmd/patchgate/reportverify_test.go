package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// reportVerify runs `patchgate report verify DIR --public-key FILE`.
func reportVerify(t *testing.T, dir, pubKey string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), []string{"report", "verify", dir, "--public-key", pubKey}, &out, &out)
	return code, out.String()
}

// copyBundle copies the files of a report bundle into a fresh directory, so
// each case tampers with its own copy.
func copyBundle(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, e.Name()), string(b))
	}
	return to
}

// editFile rewrites one bundle file through fn.
func editFile(t *testing.T, dir, name string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	after := fn(bytes.Clone(b))
	if bytes.Equal(after, b) {
		t.Fatalf("the edit of %s changed nothing", name)
	}
	writeFile(t, filepath.Join(dir, name), string(after))
}

// relist makes the manifest's entry for name match the file as it is now,
// as an attacker who edits a file and its listed hash would.
func relist(t *testing.T, dir, name string) {
	t.Helper()
	editFile(t, dir, reports.FileManifest, func(raw []byte) []byte {
		var m reports.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		for i := range m.Files {
			if m.Files[i].Name == name {
				m.Files[i].SHA256, m.Files[i].Size = hex.EncodeToString(sum[:]), int64(len(b))
			}
		}
		out, _ := json.MarshalIndent(m, "", "  ")
		return append(out, '\n')
	})
}

// removeAuditLine drops the n-th line (1-based) of the bundle's audit log.
func removeAuditLine(n int) func([]byte) []byte {
	return func(b []byte) []byte {
		lines := bytes.SplitAfter(b, []byte("\n"))
		return bytes.Join(append(lines[:n-1:n-1], lines[n:]...), nil)
	}
}

// TestReportVerifyFreshBundleAndTampering builds a bundle by the engine's
// own report stage at the end of a signed cycle and runs `patchgate report
// verify` on it with the public key alone: the fresh bundle verifies, and
// every edit exits 1 naming the file that no longer verifies, including
// edits whose manifest entry is rewritten to match and a checkpoint (and
// seal) made with another key. The cover names the key's fingerprint.
func TestReportVerifyFreshBundleAndTampering(t *testing.T) {
	f := newAuditFixture(t, "bolt")
	bundle := filepath.Join(f.reports, f.cycle)
	pdf := reports.PDFName(f.cycle)

	code, out := reportVerify(t, copyBundle(t, bundle), f.pubKey)
	if code != 0 || !strings.Contains(out, "verifies") || strings.Contains(out, "BROKEN") {
		t.Fatalf("fresh bundle: exit %d:\n%s", code, out)
	}
	for _, want := range []string{reports.FileSeal + ": the manifest's signature verifies", reports.FileCheckpoint + ": signature by key ops-test",
		reports.FileAuditLog + ": ", "re-hashed to the signed head", reports.FileEvidence + ": its "} {
		if !strings.Contains(out, want) {
			t.Errorf("fresh bundle: output lacks %q:\n%s", want, out)
		}
	}
	coverShowsFingerprint(t, f)
	export, err := state.ReadExport(bytes.NewReader(mustRead(t, filepath.Join(f.reports, runbooks.AuditExportName(f.cycle)))))
	if err != nil || len(export) == 0 || export[0].Stream != f.stream {
		t.Errorf("the archived audit export of %s: %d lines (%v)", f.cycle, len(export), err)
	}

	other := &checkpoint.Ed25519Signer{ID: "ops-test", Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))}
	// resign signs the bundle's checkpoint and manifest with other, as
	// someone holding a key of their own but not the bot's would.
	resign := func(t *testing.T, dir string, keepFingerprint bool) {
		editFile(t, dir, reports.FileCheckpoint, func(raw []byte) []byte {
			cp, err := checkpoint.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !keepFingerprint {
				cp.Fingerprint, _ = checkpoint.Fingerprint(other.Public())
			}
			cp.Sig, _ = other.Sign(context.Background(), cp.SignedText())
			b, _ := cp.Encode()
			return b
		})
		relist(t, dir, reports.FileCheckpoint)
		man, err := os.ReadFile(filepath.Join(dir, reports.FileManifest))
		if err != nil {
			t.Fatal(err)
		}
		seal, err := checkpoint.SealDocument(context.Background(), other, man)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, reports.FileSeal), string(seal))
	}

	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   []string
	}{
		{"a changed CSV cell", func(t *testing.T, dir string) {
			editFile(t, dir, reports.FileApprovals, func(b []byte) []byte {
				return bytes.Replace(b, []byte("U0BOB00002"), []byte("U0MALLORY1"), 1)
			})
		}, []string{"BROKEN  " + reports.FileApprovals + ": SHA-256"}},
		{"a changed CSV cell with its manifest entry rewritten", func(t *testing.T, dir string) {
			editFile(t, dir, reports.FileApprovals, func(b []byte) []byte {
				return bytes.Replace(b, []byte("U0BOB00002"), []byte("U0MALLORY1"), 1)
			})
			relist(t, dir, reports.FileApprovals)
		}, []string{"BROKEN  " + reports.FileSeal + ": seal covers sha256"}},
		{"a changed PDF byte", func(t *testing.T, dir string) {
			editFile(t, dir, pdf, func(b []byte) []byte {
				b[len(b)/2] ^= 0x01
				return b
			})
		}, []string{"BROKEN  " + pdf + ": SHA-256"}},
		{"a removed event", func(t *testing.T, dir string) {
			editFile(t, dir, reports.FileAuditLog, removeAuditLine(3))
		}, []string{"BROKEN  " + reports.FileAuditLog + ": SHA-256"}},
		{"a removed event with its manifest entry rewritten", func(t *testing.T, dir string) {
			editFile(t, dir, reports.FileAuditLog, removeAuditLine(3))
			relist(t, dir, reports.FileAuditLog)
		}, []string{"BROKEN  " + reports.FileSeal, "BROKEN  " + reports.FileAuditLog + ": " + f.stream + " seq 3"}},
		{"the last event removed with its manifest entry rewritten", func(t *testing.T, dir string) {
			n := bytes.Count(mustRead(t, filepath.Join(dir, reports.FileAuditLog)), []byte("\n"))
			editFile(t, dir, reports.FileAuditLog, removeAuditLine(n))
			relist(t, dir, reports.FileAuditLog)
		}, []string{"BROKEN  " + reports.FileSeal, "BROKEN  " + reports.FileAuditLog + ": " + f.stream + " ends at seq"}},
		{"a checkpoint signed by another key", func(t *testing.T, dir string) {
			resign(t, dir, false)
		}, []string{"BROKEN  " + reports.FileSeal, "BROKEN  " + reports.FileCheckpoint + ": checkpoint", checkpoint.ErrUnknownKey.Error()}},
		{"a checkpoint signed by another key naming the bot's fingerprint", func(t *testing.T, dir string) {
			resign(t, dir, true)
		}, []string{"BROKEN  " + reports.FileSeal, "BROKEN  " + reports.FileCheckpoint + ": checkpoint", checkpoint.ErrBadSignature.Error()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyBundle(t, bundle)
			tc.tamper(t, dir)
			code, out := reportVerify(t, dir, f.pubKey)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			for _, want := range append(tc.want, "does NOT verify") {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// coverShowsFingerprint: the PDF's cover prints the fingerprint of the key
// `report verify` is given, so an auditor can match the key they hold to the
// document they read.
func coverShowsFingerprint(t *testing.T, f *auditFixture) {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required: %v", err)
		}
		t.Log("pdftotext is not installed: the cover is not read")
		return
	}
	pub, err := checkpoint.ParsePublicKey(mustRead(t, f.pubKey))
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := checkpoint.Fingerprint(pub)
	txt, err := exec.Command(pdftotext, "-l", "1", filepath.Join(f.reports, f.cycle, reports.PDFName(f.cycle)), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(txt), fp) || !strings.Contains(string(txt), "ops-test") {
		t.Errorf("the cover lacks key ops-test and fingerprint %s:\n%s", fp, txt)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
