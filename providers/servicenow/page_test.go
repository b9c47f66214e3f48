package servicenow_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/servicenow/servicenowtest"
)

// TestChangeRecordServiceNowPage: the record link the client hands out
// (what the demo's Slack messages link to) opens a page showing the
// change, and the instance's front page lists it.
func TestChangeRecordServiceNowPage(t *testing.T) {
	fake := servicenowtest.New(user, password)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	st, err := newClient(t, srv.URL).Create(context.Background(), spec("acme-page"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) string {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return string(b)
	}
	page := get(st.URL)
	for _, s := range []string{"Change CHG0030001", "restore from the backups", "acme-page", "Simulated ServiceNow"} {
		if !strings.Contains(page, s) {
			t.Errorf("change page lacks %q", s)
		}
	}
	if list := get(srv.URL + "/"); !strings.Contains(list, "/change_request.do?sys_id="+st.ID) {
		t.Errorf("front page does not link the change:\n%s", list)
	}
}
