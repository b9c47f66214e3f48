package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// TestSLADigestPostsTheChartsAsPNGInItsThread: the posture digest carries
// the monthly PDF's three charts (drawn by reports.PostureCharts, gonum/plot)
// as PNG files in the digest's thread through the files v2 flow, and the
// sandbox page shows them as images.
func TestSLADigestPostsTheChartsAsPNGInItsThread(t *testing.T) {
	ctx := context.Background()
	sb, api, channel, _ := startSandbox(t)
	chat := NewDailyChat(api, channel, nil)

	snap := sla.Snapshot{Tenant: "acme-cu", Day: "2026-12-06", At: time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC),
		Total: sla.Counts{Hosts: 10, Within: 6, Due: 2, Overdue: 2}, OverdueBySeverity: map[string]int{"critical": 2},
		CriticalAges: map[string]int{"31-60": 2}, Sources: []string{"simulation"}}
	charts, err := reports.PostureCharts(sla.Month{Tenant: "acme-cu", Month: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Latest: &snap, Trend: []sla.Snapshot{snap}})
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.PostSLAPosture(ctx, sla.Posture{At: snap.At, Tenants: []sla.Snapshot{snap}, Charts: charts}); err != nil {
		t.Fatal(err)
	}
	msgs := sb.Messages(channel)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Patch SLA posture") {
		t.Fatalf("messages %+v, want the one digest", msgs)
	}
	files := sb.Files()
	if len(files) != 3 {
		t.Fatalf("%d files shared, want the 3 charts", len(files))
	}
	for _, f := range files {
		if f.ThreadTS != msgs[0].TS || f.Channel != channel || !strings.HasSuffix(f.Name, ".png") ||
			!bytes.HasPrefix(f.Content, []byte("\x89PNG\r\n\x1a\n")) || !strings.Contains(f.Title, "acme-cu") {
			t.Errorf("chart file %s (%q) in thread %q of %s: not a PNG in the digest's thread", f.Name, f.Title, f.ThreadTS, f.Channel)
		}
	}
	// The sandbox page shows each chart as an image under the digest.
	resp, err := http.Get(sb.URL() + "/ui/state?" + url.Values{"user": {"U0SRE00001"}, "channel": {channel}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Items []struct{ HTML string } `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || len(st.Items) != 1 {
		t.Fatalf("ui state: %v, %d items", err, len(st.Items))
	}
	if n := strings.Count(st.Items[0].HTML, `<img class="file-image"`); n != 3 {
		t.Errorf("the page shows %d chart images, want 3:\n%s", n, st.Items[0].HTML)
	}
}
