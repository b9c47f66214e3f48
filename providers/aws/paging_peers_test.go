package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// ec2NextToken is the next token of an EC2 query-protocol page.
var ec2NextToken = regexp.MustCompile(`<nextToken>[^<]*</nextToken>`)

// endlessPage rewrites one page so it names token as its next page: the
// EC2 query protocol's XML or SSM's awsJson.
func endlessPage(body []byte, token string) []byte {
	if s := string(body); strings.HasPrefix(s, "<") {
		s = ec2NextToken.ReplaceAllString(s, "")
		return []byte(strings.Replace(s, "</DescribeInstancesResponse>", "<nextToken>"+token+"</nextToken></DescribeInstancesResponse>", 1))
	}
	var page map[string]any
	if err := json.Unmarshal(body, &page); err != nil || page == nil {
		return body // a call the client gave up on: nothing to page
	}
	page["NextToken"] = token
	out, _ := json.Marshal(page)
	return out
}

// TestPagingLoopsEndOnEveryAWSList: each paging loop of the inventory
// (ec2 DescribeInstances, ssm DescribeInstanceInformation and
// DescribeInstancePatchStates) and ssm ListCommands of FindPatch, behind a
// peer whose next token repeats or never ends, stops with an error naming
// the loop and hands back no result. The SDK's own paginators end quietly
// on a token that repeats the previous one, which would take a shorter
// list for the whole one.
func TestPagingLoopsEndOnEveryAWSList(t *testing.T) {
	ids := []string{"i-0000000000000b001", "i-0000000000000b002"}
	for _, tc := range []struct {
		loop  string // in the error
		match func(*http.Request) bool
		read  func(ctx context.Context, p *Provider) (bool, error)
	}{
		{loop: "ec2 DescribeInstances in " + acctA + "/" + region,
			match: ec2Action("DescribeInstances"),
			read:  readAWSHosts},
		{loop: "ssm DescribeInstanceInformation in " + acctA + "/" + region,
			match: ssmOp("DescribeInstanceInformation"), read: readAWSHosts},
		{loop: "ssm DescribeInstancePatchStates in " + acctA + "/" + region,
			match: ssmOp("DescribeInstancePatchStates"), read: readAWSHosts},
		{loop: "ssm ListCommands of AWS-RunPatchBaseline in " + acctA + "/" + region,
			match: ssmOp("ListCommands"),
			read: func(ctx context.Context, p *Provider) (bool, error) {
				h, found, err := p.FindPatch(ctx, opRequest("c-2026-11/nonprod/patch/0", hostsOf(ids)))
				return found || h != "", err
			}},
	} {
		for name, token := range map[string]func(n int) string{
			"a new token forever": func(n int) string { return fmt.Sprintf("forever-%d", n) },
			"the same token":      func(int) string { return "2" },
		} {
			t.Run(tc.loop+"/"+name, func(t *testing.T) {
				fake := awstest.NewServer(t)
				for _, id := range ids {
					fake.Add(awstest.Instance{ID: id, Account: acctA, Tags: map[string]string{"env": "prod"},
						SSM: &awstest.Agent{PingStatus: "Online"}, Patches: &awstest.PatchState{}})
				}
				peer := testkit.NewHostile(t, fake.URL)
				peer.Match = tc.match
				cfg := testConfig(peer.URL, "")
				cfg.StepTimeout, cfg.MaxAttempts = peerStep, 3
				p := newProvider(t, cfg)
				p.maxPages = 20
				peer.Edit(func(n int, body []byte) []byte { return endlessPage(body, token(n)) })
				ctx, cancel := context.WithTimeout(context.Background(), 10*peerStep)
				defer cancel()
				got, err := tc.read(ctx, p)
				if !errors.Is(err, runbooks.ErrEndlessPaging) || !strings.Contains(err.Error(), tc.loop) || got {
					t.Fatalf("read: result %v, %v; want an endless-paging error naming %q and no result", got, err, tc.loop)
				}
				if peer.Hits() > 21 {
					t.Errorf("%d pages asked for, past the cap of 20", peer.Hits())
				}
			})
		}
	}
}

func ssmOp(op string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "AmazonSSM."+op }
}

// ec2Action matches an EC2 query-protocol call by its Action, leaving the
// body for the peer to forward.
func ec2Action(action string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if r.Header.Get("X-Amz-Target") != "" || r.Body == nil {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		return form.Get("Action") == action
	}
}

func readAWSHosts(ctx context.Context, p *Provider) (bool, error) {
	hosts, err := p.Hosts(ctx, runbooks.Tenant{Name: "acme"}, awsEnv("production", map[string]string{"env": "prod"}))
	return hosts != nil, err
}
