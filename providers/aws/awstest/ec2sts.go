package awstest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// describeInstances answers the ec2 query protocol: Filter.N.Name /
// Filter.N.Value.M (tag:K filters are honoured, instance-state-name is
// accepted since every fake instance runs), MaxResults and NextToken.
func (s *Server) describeInstances(w http.ResponseWriter, r *http.Request, form url.Values) {
	acct := account(r)
	tags := map[string]string{}
	for n := 1; form.Get(fmt.Sprintf("Filter.%d.Name", n)) != ""; n++ {
		name := form.Get(fmt.Sprintf("Filter.%d.Name", n))
		if k, ok := strings.CutPrefix(name, "tag:"); ok {
			tags[k] = form.Get(fmt.Sprintf("Filter.%d.Value.1", n))
		}
	}
	s.mu.Lock()
	var match []*wire
	for n, i := range s.instances {
		if i.Account != acct {
			continue
		}
		ok := true
		for k, v := range tags {
			ok = ok && i.Tags[k] == v
		}
		if ok {
			match = append(match, s.wireOf(n))
		}
	}
	size := s.ec2PageSize
	s.mu.Unlock()
	if m, _ := strconv.Atoi(form.Get("MaxResults")); m > 0 && (size == 0 || m < size) {
		size = m
	}
	if size == 0 {
		size = 1000
	}
	start, _ := strconv.Atoi(form.Get("NextToken"))
	start = min(start, len(match))
	end := min(start+size, len(match))
	n := 256
	for _, w := range match[start:end] {
		n += len(w.ec2)
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	b.WriteString(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><reservationSet>`)
	for _, w := range match[start:end] {
		b.Write(w.ec2)
	}
	b.WriteString(`</reservationSet>`)
	if end < len(match) {
		fmt.Fprintf(b, `<nextToken>%d</nextToken>`, end)
	}
	b.WriteString(`</DescribeInstancesResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// serveSTS hands out credentials whose access key names the role's account,
// and tells a caller who it is by that key.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, action string, form url.Values) {
	w.Header().Set("Content-Type", "text/xml")
	if action == "GetCallerIdentity" {
		a := account(r)
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:sts::%s:assumed-role/patchgate/patchgate</Arn><UserId>AROAFAKE:patchgate</UserId><Account>%s</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, a, a)
		return
	}
	role := form.Get("RoleArn") // arn:aws:iam::<account>:role/<name>
	parts := strings.Split(role, ":")
	if len(parts) < 6 {
		http.Error(w, "bad RoleArn", http.StatusBadRequest)
		return
	}
	acct := parts[4]
	s.mu.Lock()
	if s.externalIDs == nil {
		s.externalIDs = map[string]string{}
	}
	s.externalIDs[acct] = form.Get("ExternalId")
	want, enforced := s.trust[acct]
	s.mu.Unlock()
	if enforced && form.Get("ExternalId") != want {
		// STS answers a trust policy whose sts:ExternalId condition does
		// not match exactly as it answers any other refused AssumeRole.
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
			`<Message>User: arn:aws:iam::%s:user/patchgate is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error>`+
			`<RequestId>fake</RequestId></ErrorResponse>`, esc(acct), esc(role))
		return
	}
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
		`<AccessKeyId>AKFAKE%s</AccessKeyId><SecretAccessKey>fake</SecretAccessKey><SessionToken>fake</SessionToken><Expiration>%s</Expiration>`+
		`</Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/patchgate/patchgate</Arn><AssumedRoleId>AROAFAKE:patchgate</AssumedRoleId>`+
		`</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		esc(acct), exp, esc(acct))
}

// Trust makes AssumeRole into account succeed only with externalID, as a
// role whose trust policy has an sts:ExternalId condition.
func (s *Server) Trust(account, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trust == nil {
		s.trust = map[string]string{}
	}
	s.trust[account] = externalID
}

// ExternalID is the external ID presented when assuming a role in account.
func (s *Server) ExternalID(account string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.externalIDs[account]
}
