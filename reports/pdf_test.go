package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	rb "github.com/patchgate/patchgate/runbooks"
)

// needTool returns the path of a binary, skipping only when it is missing and
// PATCHGATE_REQUIRE_SERVICES is unset.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s is required (PATCHGATE_REQUIRE_SERVICES is set): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func renderFile(t *testing.T, b Bundle) (string, Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := RenderPDF(&buf, b)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(buf.Bytes())
	if sum.SHA256 != hex.EncodeToString(h[:]) || sum.Bytes != int64(buf.Len()) {
		t.Fatalf("summary hash %s / %d bytes does not match the written PDF", sum.SHA256, sum.Bytes)
	}
	return path, sum
}

func TestRenderPDFText(t *testing.T) {
	pdftotext := needTool(t, "pdftotext")
	qpdf := needTool(t, "qpdf")
	b := fixture()
	path, sum := renderFile(t, b)

	if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, s := range []string{
		"acme-cu", "c-42", b.Chain.Head, b.EvidenceSHA256, "version 2026-11",
		"CC7.1", "CC8.1", "CC6.1", "CC7.2", "CC7.4/CC7.5", "A1.2", "6.3.3", "10.2", "5.x",
		"U0APPROVER1", "U0APPROVER2", "U0REQUESTER", "REFUSED approve", "forbidden",
		"nonprod-web-1", "staging-api-2", "prod-db-1", "legacy-ftp",
		"SSM agent offline", "dependency conflict", "over one month",
		"88.9%", "Page 1 of " + fmt.Sprint(sum.Pages), "Appendix: audit events",
		"Access report", "acme-cu-platform-admins", "breakglass@acme-cu", "AdministratorAccess",
		"assumed-role/patchgate-executor/patchgate", "manifest.json",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}

func TestRenderPDFDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	s1, err := RenderPDF(&a, fixture())
	if err != nil {
		t.Fatal(err)
	}
	s2, err := RenderPDF(&b, fixture())
	if err != nil {
		t.Fatal(err)
	}
	if s1.SHA256 != s2.SHA256 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renders of one bundle differ")
	}
}

func TestRenderPDFNoCycle(t *testing.T) {
	if _, err := RenderPDF(&bytes.Buffer{}, Bundle{}); err == nil {
		t.Fatal("want an error for a bundle without a cycle")
	}
}

func bigBundle(n int) Bundle {
	b := fixture()
	envs := []string{"nonprod", "staging", "production"}
	clouds := []rb.Cloud{rb.AWS, rb.Azure, rb.GCP}
	hosts := make([]rb.Host, n)
	before := make(map[string]string, n)
	for i := range hosts {
		h := b.Hosts[i%len(b.Hosts)]
		h.ID = fmt.Sprintf("i-%08d", i)
		h.Name = fmt.Sprintf("host-%s-%05d", envs[i%3], i)
		h.Cloud, h.Env = clouds[i%3], envs[i%3]
		h.PendingPatches = i % 7
		h.Managed = i%500 != 0
		before[h.ID] = "6.1.100"
		hosts[i] = h
	}
	b.Hosts, b.KernelBefore = hosts, before
	return b
}

// TestRenderPDF20kPages checks a large report is valid, keeps its header on
// every page and numbers its pages.
func TestRenderPDF20kPages(t *testing.T) {
	if testing.Short() {
		t.Skip("large report")
	}
	qpdf := needTool(t, "qpdf")
	pdftotext := needTool(t, "pdftotext")
	path, sum := renderFile(t, bigBundle(20000))
	if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(out), "\f")
	hostPages := 0
	hostRow := regexp.MustCompile(`host-\S+-\d{5}\s+(aws|azure|gcp)\s+acct-`) // only the host table has this
	for i, p := range pages {
		if !hostRow.MatchString(p) {
			continue
		}
		hostPages++
		if !strings.Contains(p, "Kernel before → after") {
			t.Fatalf("host table page %d has no header", i+1)
		}
	}
	if sum.Pages < 400 || hostPages < 400 {
		t.Fatalf("%d pages, %d with host rows", sum.Pages, hostPages)
	}
	last := regexp.MustCompile(fmt.Sprintf(`Page %d of %d`, sum.Pages, sum.Pages))
	if !last.MatchString(string(out)) || !strings.Contains(string(out), "host-production-19997") {
		t.Fatal("last page number or last host missing")
	}
}

func BenchmarkRenderPDF20k(b *testing.B) {
	bundle := bigBundle(20000)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if _, err := RenderPDF(&buf, bundle); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReport20k is the whole report of 20,000 hosts: evidence JSON,
// three CSVs, the PDF and the manifest, archived to a local directory.
// Peak memory of the whole process: go run ./test/reportbench.
func BenchmarkReport20k(b *testing.B) {
	bundle := bigBundle(20000)
	in := rb.ReportInput{Cycle: bundle.Cycle, Events: bundle.Events, Refusals: bundle.Refusals, Hosts: bundle.Hosts,
		HostsBefore: bundle.Hosts, AuditEntries: bundle.Chain.Entries, AuditHead: bundle.Chain.Head, Access: bundle.Access}
	d := &Dir{Path: b.TempDir()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Report(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
