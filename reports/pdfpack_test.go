package reports

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestRenderPDFPackedStreams checks the packed PDF: valid for qpdf, every
// stream deflated, every footer numbered "Page n of N", and report data that
// looks like the page-count placeholder or needs escaping kept as it is.
func TestRenderPDFPackedStreams(t *testing.T) {
	qpdf := needTool(t, "qpdf")
	pdftotext := needTool(t, "pdftotext")
	b := bigBundle(300)
	odd := []string{
		"odd-{nb}-host", // the placeholder, in data
		`par(en)\back`,  // bytes PDF strings escape
		"ümlaut-ĳ-host", // outside ASCII, first seen in a table row
	}
	for i, name := range odd {
		b.Hosts[10+i].Name = name
	}
	path, sum := renderFile(t, b)
	if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	raw, err := exec.Command(qpdf, "--show-npages", path).Output()
	if err != nil || strings.TrimSpace(string(raw)) != fmt.Sprint(sum.Pages) {
		t.Fatalf("qpdf counts %q pages, summary %d (%v)", raw, sum.Pages, err)
	}
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`<</Length \d+>>\nstream`).FindAllIndex(pdf, -1)); n != 0 {
		t.Errorf("%d streams left without a filter", n)
	}
	if n := bytes.Count(pdf, []byte("/FlateDecode")); n < sum.Pages {
		t.Errorf("%d deflated streams for %d pages", n, sum.Pages)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if len(pages) != sum.Pages {
		t.Fatalf("pdftotext sees %d pages, summary %d", len(pages), sum.Pages)
	}
	for i, p := range pages {
		want := fmt.Sprintf("Page %d of %d", i+1, sum.Pages)
		if !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
	}
	for _, name := range odd {
		row := regexp.MustCompile(regexp.QuoteMeta(name) + `\s+(aws|azure|gcp)\s+acct-`)
		if !row.MatchString(string(out)) {
			t.Errorf("host row of %q missing from the PDF text", name)
		}
	}
	if !strings.Contains(string(out), "host-production-00299") {
		t.Error("last host missing")
	}
}

func TestPackPDFRefusesWhatFpdfDidNotWrite(t *testing.T) {
	for _, src := range []string{"", "%PDF-1.3\n", "%PDF-1.3\nstartxref\n5\n%%EOF\n", "%PDF-1.3\nxref\n0 3\nstartxref\n9\n%%EOF\n"} {
		if err := packPDF(&bytes.Buffer{}, []byte(src), 1); err == nil {
			t.Errorf("packPDF(%q) = nil error", src)
		}
	}
}
