package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// describeInstancesXML is a page shaped like EC2's documented
// DescribeInstances response (indented, an XML declaration, two
// reservations, nested sets that also hold items, keys and values), with
// what a lean reader can get wrong: entities and a character reference in
// a Name, a CDATA value, a comment, a tag whose value comes before its
// key, an instance with no Name tag, self-closing elements.
const describeInstancesXML = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
    <reservationSet>
        <item>
            <reservationId>r-1234567890abcdef0</reservationId>
            <ownerId>123456789012</ownerId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-1234567890abcdef0</instanceId>
                    <imageId>ami-bff32ccc</imageId>
                    <instanceState><code>16</code><name>running</name></instanceState>
                    <productCodes/>
                    <groupSet><item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item></groupSet>
                    <blockDeviceMapping>
                        <item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-1234567890abcdef0</volumeId></ebs></item>
                    </blockDeviceMapping>
                    <networkInterfaceSet>
                        <item>
                            <networkInterfaceId>eni-0598c7d356eba48d7</networkInterfaceId>
                            <privateIpAddressesSet><item><privateIpAddress>10.0.0.157</privateIpAddress><primary>true</primary></item></privateIpAddressesSet>
                        </item>
                    </networkInterfaceSet>
                    <platformDetails>Linux/UNIX</platformDetails>
                    <!-- a comment <instanceId>i-nope</instanceId> -->
                    <tagSet>
                        <item><key>patchgate</key><value>yes</value></item>
                        <item><key>Name</key><value>web &amp; api &lt;1&gt; caf&#233; &#x2603;</value></item>
                    </tagSet>
                </item>
                <item>
                    <instanceId>i-0598c7d356eba48d7</instanceId>
                    <platformDetails><![CDATA[Windows]]></platformDetails>
                    <tagSet>
                        <item><value>db-1</value><key>Name</key></item>
                    </tagSet>
                </item>
            </instancesSet>
        </item>
        <item>
            <reservationId>r-2</reservationId>
            <instancesSet>
                <item>
                    <instanceId>i-0000000000000000a</instanceId>
                    <platformDetails>Red Hat Enterprise Linux</platformDetails>
                    <tagSet><item><key>Owner</key><value>Name</value></item></tagSet>
                </item>
            </instancesSet>
        </item>
    </reservationSet>
    <nextToken>eyJ2IjoiMiIsImMiOiJ4In0=</nextToken>
</DescribeInstancesResponse>`

// ec2Against is an EC2 client whose every call is answered by h.
func ec2Against(t *testing.T, h http.HandlerFunc) *ec2.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return ec2.New(ec2.Options{Region: region, Credentials: staticCreds, BaseEndpoint: aws.String(srv.URL),
		RetryMaxAttempts: 1})
}

func xmlAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// The lean reader gives pageHosts what the SDK's decoder gives it: the
// same instances, platforms, names and next token.
func TestInventoryLeanDecoderMatchesTheSDK(t *testing.T) {
	c := ec2Against(t, xmlAnswer(200, describeInstancesXML))
	ctx := context.Background()
	sdk, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	lean, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}, leanInstances)
	if err != nil {
		t.Fatal(err)
	}
	want, got := pageHosts(sdk, acctA, region, "prod"), pageHosts(lean, acctA, region, "prod")
	if len(want) != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("lean hosts\n%v\nSDK hosts\n%v", got, want)
	}
	if aws.ToString(lean.NextToken) != aws.ToString(sdk.NextToken) || aws.ToString(lean.NextToken) == "" {
		t.Errorf("next token %q, SDK %q", aws.ToString(lean.NextToken), aws.ToString(sdk.NextToken))
	}
	if got[0].Name != "web & api <1> café ☃" || got[1].Name != "db-1" || got[1].OS != "Windows" || got[2].Name != got[2].ID {
		t.Errorf("hosts %+v", got)
	}
}

// A body cut anywhere is an error, never a shorter page: the inventory
// must not lose hosts silently to a truncated answer.
func TestInventoryLeanDecoderRefusesTruncatedBodies(t *testing.T) {
	body := []byte(describeInstancesXML)
	end := strings.LastIndex(describeInstancesXML, "</DescribeInstancesResponse>")
	for cut := range end {
		if p, err := decodeInstancesPage(body[:cut]); err == nil {
			t.Fatalf("body cut at %d of %d read as %d instances, want an error", cut, len(body), len(p.Instances))
		}
	}
	for _, bad := range []string{"", "<html><body>502 Bad Gateway</body></html>",
		"<DescribeInstancesResponse><reservationSet></DescribeInstancesResponse>",
		"<DescribeInstancesResponse>&bogus;</DescribeInstancesResponse>"} {
		if _, err := decodeInstancesPage([]byte(bad)); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
	c := ec2Against(t, xmlAnswer(200, describeInstancesXML[:len(describeInstancesXML)/2]))
	_, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}, leanInstances)
	if _, ok := errors.AsType[*smithy.DeserializationError](err); !ok {
		t.Fatalf("truncated page: err = %v, want a deserialization error", err)
	}
}

// Error answers still go through the SDK's deserializer: EC2's throttling
// code survives (the retryer and the limiter read it), and an HTML 500
// from a proxy is an error.
func TestInventoryLeanDecoderKeepsTheSDKErrors(t *testing.T) {
	throttled := `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>` +
		`<Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>`
	c := ec2Against(t, xmlAnswer(503, throttled))
	_, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}, leanInstances)
	if api, ok := errors.AsType[smithy.APIError](err); !ok || api.ErrorCode() != "RequestLimitExceeded" {
		t.Fatalf("err = %v, want EC2's RequestLimitExceeded", err)
	}
	c = ec2Against(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		_, _ = w.Write([]byte("<html><body><h1>500 Internal Server Error</h1></body></html>"))
	})
	if _, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}, leanInstances); err == nil {
		t.Fatal("an HTML 500 read as a page")
	}
}

// Whatever a peer sends, the lean reader answers with a page or an error,
// never a panic; a page it accepts has an ID for every instance it lists
// only if the body named one; read in two pieces, split anywhere, it
// gives the same page or error as read whole; and a body encoding/xml
// reads as well-formed it reads to the page encoding/xml's tokens give
// (referencePage), however much of it is passed over unread.
func FuzzDecodeInstancesPage(f *testing.F) {
	f.Add([]byte(describeInstancesXML), uint(700))
	for _, member := range passedMembers {
		f.Add(passPage(member.xml), uint(len(member.xml)))
	}
	f.Add([]byte(`<DescribeInstancesResponse><reservationSet><item><instancesSet><item/></instancesSet></item></reservationSet></DescribeInstancesResponse>`), uint(60))
	f.Add([]byte(`<a:DescribeInstancesResponse x='>'><nextToken>&#x41;</nextToken></a:DescribeInstancesResponse>`), uint(25))
	f.Fuzz(func(t *testing.T, body []byte, split uint) {
		page, err := decodeInstancesPage(body)
		var d pageDecoder
		cut := int(split % uint(len(body)+1))
		perr := d.feed(body[:cut], false)
		if perr == nil {
			perr = d.feed(body, true)
		}
		if (err == nil) != (perr == nil) || err == nil && fmt.Sprint(d.page) != fmt.Sprint(page) {
			t.Fatalf("split at %d: %+v, %v; whole: %+v, %v", cut, d.page, perr, page, err)
		}
		if want, ok := referencePage(body); ok && (err != nil || fmt.Sprint(page) != fmt.Sprint(want)) {
			t.Fatalf("read as %+v, %v; encoding/xml's tokens give %+v", page, err, want)
		}
		if err != nil {
			return
		}
		for _, in := range page.Instances {
			if in.ID != "" && !strings.Contains(string(body), "instanceId") {
				t.Fatalf("instance ID %q from a body with no instanceId", in.ID)
			}
		}
	})
}
