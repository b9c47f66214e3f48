package awstest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// RootVolumes is an httptest server answering EC2's
// CreateReplaceRootVolumeTask and DescribeReplaceRootVolumeTasks, which
// moto does not implement, in the ec2 query protocol as EC2's API
// reference documents them (ClientToken idempotency, TagSpecification of
// resource type replace-root-volume-task, the instance-id filter, the
// replaceRootVolumeTask / replaceRootVolumeTaskSet response elements and
// the task states); every other request is proxied to Upstream (moto).
//
// A task moves one state per Describe of it: pending, in-progress, then
// succeeded, or failed-detached for an instance set with FailDetached.
type RootVolumes struct {
	URL string
	// OnStep, when set, is called (lock held, before the answer is
	// written) when a task is made ("<instance>/create-task") and when a
	// poll moves it to a new state ("<instance>/<state>"): crash tests
	// stop the caller right there.
	OnStep func(step string)
	// OnRequest, when set, is called (lock held) as each request arrives,
	// with its Action.
	OnRequest func(action string)

	mu       sync.Mutex
	tasks    []*rootTask
	byToken  map[string]*rootTask
	creates  map[string]int // instance → CreateReplaceRootVolumeTask calls that made a task
	calls    map[string]int // action → calls
	failing  map[string]bool
	htmlErrs int
	proxy    *httputil.ReverseProxy
}

type rootTask struct {
	ID, Instance, Image, Token string
	Tags                       map[string]string
	States                     []string // what successive Describes show
	Seen                       int
	Start                      time.Time
}

// NewRootVolumes starts the server in front of upstream (moto's URL).
func NewRootVolumes(t testing.TB, upstream string) *RootVolumes {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	s := &RootVolumes{byToken: map[string]*rootTask{}, creates: map[string]int{}, calls: map[string]int{},
		failing: map[string]bool{}, proxy: httputil.NewSingleHostReverseProxy(u)}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// FailDetached makes the instance's next task end failed-detached.
func (s *RootVolumes) FailDetached(instance string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[instance] = true
}

// HTMLErrors answers the next n CreateReplaceRootVolumeTask calls with a
// 500 and an HTML body, as a broken proxy in front of EC2 would.
func (s *RootVolumes) HTMLErrors(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.htmlErrs = n
}

// Tasks counts the tasks made for an instance (a ClientToken repeated
// makes none).
func (s *RootVolumes) Tasks(instance string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates[instance]
}

// Calls counts the calls of an action.
func (s *RootVolumes) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

func (s *RootVolumes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	if s.OnRequest != nil {
		s.mu.Lock()
		s.OnRequest(form.Get("Action"))
		s.mu.Unlock()
	}
	switch action := form.Get("Action"); action {
	case "CreateReplaceRootVolumeTask":
		s.create(w, form)
	case "DescribeReplaceRootVolumeTasks":
		s.describe(w, form)
	default:
		s.proxy.ServeHTTP(w, r)
	}
}

func (s *RootVolumes) create(w http.ResponseWriter, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["CreateReplaceRootVolumeTask"]++
	if s.htmlErrs > 0 {
		s.htmlErrs--
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	inst, image, token := form.Get("InstanceId"), form.Get("ImageId"), form.Get("ClientToken")
	if inst == "" {
		ec2Error(w, http.StatusBadRequest, "MissingParameter", "The request must contain the parameter InstanceId")
		return
	}
	t, ok := s.byToken[token]
	if !ok || token == "" {
		tags := map[string]string{}
		for n := 1; form.Get(fmt.Sprintf("TagSpecification.1.Tag.%d.Key", n)) != ""; n++ {
			tags[form.Get(fmt.Sprintf("TagSpecification.1.Tag.%d.Key", n))] = form.Get(fmt.Sprintf("TagSpecification.1.Tag.%d.Value", n))
		}
		if rt := form.Get("TagSpecification.1.ResourceType"); rt != "" && rt != "replace-root-volume-task" {
			ec2Error(w, http.StatusBadRequest, "InvalidParameterValue", "'"+rt+"' is not a valid taggable resource type for this operation.")
			return
		}
		t = &rootTask{ID: fmt.Sprintf("replacevol-%017d", len(s.tasks)+1), Instance: inst, Image: image, Token: token, Tags: tags,
			States: []string{"pending", "in-progress", "succeeded"}, Start: time.Now().UTC()}
		if s.failing[inst] {
			t.States = []string{"pending", "failing-detached", "failed-detached"}
			delete(s.failing, inst)
		}
		s.tasks = append(s.tasks, t)
		if token != "" {
			s.byToken[token] = t
		}
		s.creates[inst]++
		if s.OnStep != nil {
			s.OnStep(inst + "/create-task")
		}
	}
	writeXML(w, `<CreateReplaceRootVolumeTaskResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId>`+
		`<replaceRootVolumeTask>`+taskXML(t, false)+`</replaceRootVolumeTask></CreateReplaceRootVolumeTaskResponse>`)
}

func (s *RootVolumes) describe(w http.ResponseWriter, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["DescribeReplaceRootVolumeTasks"]++
	ids := map[string]bool{}
	for n := 1; form.Get(fmt.Sprintf("ReplaceRootVolumeTaskId.%d", n)) != ""; n++ {
		ids[form.Get(fmt.Sprintf("ReplaceRootVolumeTaskId.%d", n))] = true
	}
	instances := map[string]bool{}
	for n := 1; form.Get(fmt.Sprintf("Filter.%d.Name", n)) != ""; n++ {
		name := form.Get(fmt.Sprintf("Filter.%d.Name", n))
		if name != "instance-id" {
			ec2Error(w, http.StatusBadRequest, "InvalidParameterValue", "The filter '"+name+"' is invalid")
			return
		}
		for m := 1; form.Get(fmt.Sprintf("Filter.%d.Value.%d", n, m)) != ""; m++ {
			instances[form.Get(fmt.Sprintf("Filter.%d.Value.%d", n, m))] = true
		}
	}
	var b strings.Builder
	b.WriteString(`<DescribeReplaceRootVolumeTasksResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><replaceRootVolumeTaskSet>`)
	for _, t := range s.tasks {
		if (len(ids) > 0 && !ids[t.ID]) || (len(instances) > 0 && !instances[t.Instance]) {
			continue
		}
		seen := t.Seen
		b.WriteString("<item>" + taskXML(t, len(ids) > 0) + "</item>")
		if t.Seen != seen && s.OnStep != nil {
			s.OnStep(t.Instance + "/" + t.States[t.Seen])
		}
	}
	b.WriteString(`</replaceRootVolumeTaskSet></DescribeReplaceRootVolumeTasksResponse>`)
	writeXML(w, b.String())
}

// taskXML renders a task; advance moves it on one state (a poll by ID).
func taskXML(t *rootTask, advance bool) string {
	if advance && t.Seen < len(t.States)-1 {
		t.Seen++
	}
	var tags strings.Builder
	for k, v := range t.Tags {
		fmt.Fprintf(&tags, `<item><key>%s</key><value>%s</value></item>`, esc(k), esc(v))
	}
	return fmt.Sprintf(`<replaceRootVolumeTaskId>%s</replaceRootVolumeTaskId><instanceId>%s</instanceId><taskState>%s</taskState>`+
		`<startTime>%s</startTime><imageId>%s</imageId><deleteReplacedRootVolume>false</deleteReplacedRootVolume><tagSet>%s</tagSet>`,
		esc(t.ID), esc(t.Instance), t.States[t.Seen], t.Start.Format(time.RFC3339), esc(t.Image), tags.String())
}

func writeXML(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = io.WriteString(w, s)
}

func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fake</RequestID></Response>`, esc(code), esc(msg))
}

// RootVolume is what the instance boots from as the fake models it: the
// image its last succeeded task restored ("" while it keeps its original
// root volume), and whether a root volume is attached at all (a task
// failing or failed detached leaves none). EC2 swaps the volume inside the
// task, so a task pending or in progress still has one attached.
func (s *RootVolumes) RootVolume(instance string) (image string, attached bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	attached = true
	for _, t := range s.tasks {
		if t.Instance != instance {
			continue
		}
		switch t.States[t.Seen] {
		case "succeeded":
			image, attached = t.Image, true
		case "failing-detached", "failed-detached":
			attached = false
		}
	}
	return image, attached
}
