package aws

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// BenchmarkDecodeInstancesPage reads one DescribeInstances page of 833
// instances as the inventory does, with the few members the benchmark
// fake sends and with every member EC2 documents (DocumentedItems);
// reported per page, with the page's size.
func BenchmarkDecodeInstancesPage(b *testing.B) { benchDecodePages(b, 0) }

// BenchmarkDecodeInstancesPageFedInPieces reads the pages of
// BenchmarkDecodeInstancesPage as they arrive from the network: fed 32 KB
// more at a time (the decoder gets every byte read so far each time, as
// readStream hands it). Against the whole-page figure, it shows what
// reading a token or an element again after each piece costs.
func BenchmarkDecodeInstancesPageFedInPieces(b *testing.B) { benchDecodePages(b, 32<<10) }

// benchDecodePages decodes the benchmark's pages fed piece bytes more at a
// time (0: whole).
func benchDecodePages(b *testing.B, piece int) {
	for _, documented := range []bool{false, true} {
		b.Run(fmt.Sprintf("documented=%v", documented), func(b *testing.B) {
			page := benchPage(b, documented)
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				var d pageDecoder
				var err error
				for n := piece; piece > 0 && n < len(page) && err == nil; n += piece {
					err = d.feed(page[:n], false)
				}
				if err == nil {
					err = d.feed(page, true)
				}
				if err != nil || len(d.page.Instances) != benchPerAccount {
					b.Fatalf("%d instances, %v", len(d.page.Instances), err)
				}
			}
		})
	}
}

// benchPage is the fake's DescribeInstances page of one account of the
// inventory benchmark's fleet.
func benchPage(b *testing.B, documented bool) []byte {
	fake := awstest.NewServer(b)
	fake.DocumentedItems = documented
	env, _ := benchFleet(fake.URL, func(in awstest.Instance) { fake.Add(in) })
	acct := env.Targets[len(env.Targets)-1].Account
	form := url.Values{"Action": {"DescribeInstances"}, "MaxResults": {"1000"}}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKFAKE"+acct+"/20261207/us-east-1/ec2/aws4_request")
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, r)
	return rec.Body.Bytes()
}
