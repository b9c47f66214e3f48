package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// pageAnswer is the fake's whole DescribeInstances answer to r.
func pageAnswer(t *testing.T, fake *awstest.Server, r *http.Request) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Errorf("fake answered DescribeInstances %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// afterInstances is the offset in an awstest page just past its n-th
// reservation (one instance each).
func afterInstances(t *testing.T, page []byte, n int) int {
	t.Helper()
	const end = "</instancesSet></item>"
	at := 0
	for range n {
		i := bytes.Index(page[at:], []byte(end))
		if i < 0 {
			t.Fatalf("page has fewer than %d instances", n)
		}
		at += i + len(end)
	}
	return at
}

// ssmIDs is the instance IDs an SSM inventory call names.
func ssmIDs(body []byte) []string {
	var ids []string
	for _, part := range strings.Split(string(body), `"i-`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, "i-"+id)
	}
	return ids
}

// TestInventorySSMStartsWhileEC2PageArrives: the first SSM calls of a page
// go out once its first instances are read, not after the whole page. The
// peer sends the first 60 instances of a 200-instance page and holds the
// rest back until an SSM call arrives (or the client gives up, or 20 s
// pass): the SSM call must
// come while the page is held, name only instances already sent, and the
// inventory still joins every host.
func TestInventorySSMStartsWhileEC2PageArrives(t *testing.T) {
	fake := awstest.NewServer(t)
	env, cfg := fleet(fake, 1, 200)
	var (
		once    sync.Once
		ssmSeen = make(chan []string, 1)
		early   atomic.Bool
		sent    []string // IDs in the part of the page sent before holding
	)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ec2Action("DescribeInstances")(r) {
			page := pageAnswer(t, fake, r)
			cut := afterInstances(t, page, 60)
			first, _ := decodeInstancesPage(append(page[:cut:cut], "</reservationSet></DescribeInstancesResponse>"...))
			for _, in := range first.Instances {
				sent = append(sent, in.ID)
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(page)))
			_, _ = w.Write(page[:cut])
			w.(http.Flusher).Flush()
			select {
			case ids := <-ssmSeen:
				early.Store(true)
				for _, id := range ids {
					if !slices.Contains(sent, id) {
						t.Errorf("SSM asked about %s before the page had sent it", id)
					}
				}
			case <-r.Context().Done(): // the client gave up on the page
			case <-time.After(20 * time.Second):
			}
			_, _ = w.Write(page[cut:])
			return
		}
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			once.Do(func() { ssmSeen <- ssmIDs(body) })
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(peer.Close)
	cfg.Endpoints = map[string]string{"ec2": peer.URL, "ssm": peer.URL, "sts": peer.URL}
	hosts, err := newProvider(t, cfg).Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !early.Load() {
		t.Error("no SSM call while the EC2 page was held: the SSM calls wait for the whole page")
	}
	if len(sent) != 60 {
		t.Errorf("the peer sent %d instances before holding, want 60", len(sent))
	}
	checkJoined(t, hosts, 200, "")
}

// checkJoined: hosts are n distinct instances of fleet's one account (gone
// not among them), every one SSM knows joined as managed.
func checkJoined(t *testing.T, hosts []runbooks.Host, n int, gone string) {
	t.Helper()
	seen := map[string]bool{}
	managed := 0
	for _, h := range hosts {
		if seen[h.ID] {
			t.Errorf("%s listed twice", h.ID)
		}
		seen[h.ID] = true
		var i int
		if _, err := fmt.Sscanf(h.ID[8:], "%d", &i); err != nil {
			t.Fatalf("host ID %q: %v", h.ID, err)
		}
		if wantManaged := i%10 != 0; h.Managed != wantManaged || (wantManaged && h.LastPatched.IsZero()) {
			t.Errorf("%s: managed %v, last patched %v; want managed %v and its patch state", h.ID, h.Managed, h.LastPatched, wantManaged)
		} else if h.Managed {
			managed++
		}
	}
	if len(hosts) != n {
		t.Errorf("%d hosts, want %d", len(hosts), n)
	}
	if gone != "" && seen[gone] {
		t.Errorf("%s listed, but the page that succeeded no longer lists it", gone)
	}
	if managed == 0 {
		t.Error("no host joined with SSM")
	}
}

// TestInventoryStreamedPageRetriedListsEachHostOnce: the connection is
// reset after 120 instances of a page were read (and handed to SSM); the
// SDK retries, and the page that then succeeds no longer lists one of
// those 120. Every instance is listed once, and the one that is gone is
// not listed at all.
func TestInventoryStreamedPageRetriedListsEachHostOnce(t *testing.T) {
	fake := awstest.NewServer(t)
	env, cfg := fleet(fake, 1, 200)
	var pages atomic.Int32
	gone := ""
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ec2Action("DescribeInstances")(r) {
			fake.ServeHTTP(w, r)
			return
		}
		page := pageAnswer(t, fake, r)
		if pages.Add(1) > 1 {
			// The retry: the fifth instance was terminated meanwhile.
			from := afterInstances(t, page, 4)
			to := afterInstances(t, page, 5)
			whole, _ := decodeInstancesPage(page)
			gone = whole.Instances[4].ID
			page = slices.Concat(page[:from], page[to:])
			w.Header().Set("Content-Length", fmt.Sprint(len(page)))
			_, _ = w.Write(page)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: %d\r\n\r\n", len(page))
		_, _ = buf.Write(page[:afterInstances(t, page, 120)])
		_ = buf.Flush()
		// A reset, not a clean close: the SDK retries "connection reset".
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}))
	t.Cleanup(peer.Close)
	cfg.Endpoints = map[string]string{"ec2": peer.URL, "ssm": peer.URL, "sts": peer.URL}
	hosts, err := newProvider(t, cfg).Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != 2 {
		t.Fatalf("DescribeInstances asked %d times, want the reset page and its retry", n)
	}
	checkJoined(t, hosts, 199, gone)
}

// The page read in pieces, split anywhere and byte by byte, is the page
// read whole, and its instances are handed on in order as they close.
func TestInventoryPageDecoderFedInPieces(t *testing.T) {
	body := []byte(describeInstancesXML)
	want, err := decodeInstancesPage(body)
	if err != nil {
		t.Fatal(err)
	}
	read := func(feeds [][]byte) (instancesPage, []pageInstance, error) {
		var handed []pageInstance
		d := pageDecoder{onInstance: func(in pageInstance) { handed = append(handed, in) }}
		for i, b := range feeds {
			if err := d.feed(b, i == len(feeds)-1); err != nil {
				return instancesPage{}, nil, err
			}
		}
		return d.page, handed, nil
	}
	byteByByte := make([][]byte, len(body))
	for i := range body {
		byteByByte[i] = body[:i+1]
	}
	cases := map[string][][]byte{"byte by byte": byteByByte}
	for cut := range len(body) + 1 {
		cases[fmt.Sprintf("split at %d", cut)] = [][]byte{body[:cut], body}
	}
	for name, feeds := range cases {
		page, handed, err := read(feeds)
		if err != nil || fmt.Sprint(page) != fmt.Sprint(want) || fmt.Sprint(handed) != fmt.Sprint(want.Instances) {
			t.Fatalf("%s: page %+v, handed %+v, %v; want %+v", name, page, handed, err, want)
		}
	}
	// A body that ends early is an error whatever was read before.
	end := bytes.LastIndex(body, []byte("</DescribeInstancesResponse>"))
	for cut := range end {
		if _, _, err := read([][]byte{body[:cut/2], body[:cut]}); err == nil {
			t.Fatalf("body ending at %d of %d read as a page", cut, len(body))
		}
	}
}

// A page of instances carrying every member EC2 documents reads, through
// the inventory's streamed decoder, as the SDK's own decoder reads it.
func TestInventoryDocumentedPageMatchesTheSDK(t *testing.T) {
	fake := awstest.NewServer(t)
	fake.DocumentedItems = true
	env, cfg := fleet(fake, 1, 120)
	acct := env.Targets[0].Account
	c := ec2.New(ec2.Options{Region: region, BaseEndpoint: aws.String(fake.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKFAKE"+acct, "secret", "")})
	out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{MaxResults: aws.Int32(ec2PageSize)})
	if err != nil {
		t.Fatal(err)
	}
	want := pageHosts(out, acct, region, env.Name)
	got, err := newProvider(t, cfg).Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || len(want) != 120 {
		t.Fatalf("%d hosts from the inventory, %d from the SDK's page; want 120", len(got), len(want))
	}
	for i := range want {
		g := got[i]
		if g.ID != want[i].ID || g.Name != want[i].Name || g.Account != acct {
			t.Errorf("host %d: %s %q, SDK %s %q", i, g.ID, g.Name, want[i].ID, want[i].Name)
		}
	}
}

// An SSM call that fails while its page is still arriving stops the page,
// and the inventory's error is the SSM call's, not one blaming the page it
// stopped.
func TestInventorySSMFailureWhileEC2PageArrivesIsTheError(t *testing.T) {
	fake := awstest.NewServer(t)
	env, cfg := fleet(fake, 1, 200)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ec2Action("DescribeInstances")(r) {
			page := pageAnswer(t, fake, r)
			w.Header().Set("Content-Length", fmt.Sprint(len(page)))
			_, _ = w.Write(page[:afterInstances(t, page, 60)])
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the rest never comes
			return
		}
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform: ssm:DescribeInstanceInformation"}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(peer.Close)
	cfg.Endpoints = map[string]string{"ec2": peer.URL, "ssm": peer.URL, "sts": peer.URL}
	_, err := newProvider(t, cfg).Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || strings.Contains(err.Error(), "ec2 DescribeInstances") {
		t.Fatalf("err = %v, want the SSM call's AccessDenied, not the page it stopped", err)
	}
}
