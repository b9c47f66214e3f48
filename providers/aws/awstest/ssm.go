package awstest

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// serveSSM answers one awsJson1.1 call.
func (s *Server) serveSSM(w http.ResponseWriter, r *http.Request, op string) {
	s.count("ssm." + op)
	if s.throttle() {
		s.throttled.Add(1)
		jsonError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	if op == "DescribeInstanceInformation" || op == "DescribeInstancePatchStates" {
		s.serveList(w, r, op)
		return
	}
	var in map[string]any
	own := op == "DescribeInstanceInformation" || op == "DescribeInstancePatchStates" || op == "DescribeInstancePatches" || op == "GetPatchBaseline" ||
		op == "GetPatchBaselineForPatchGroup" || op == "GetDefaultPatchBaseline"
	commands := op == "SendCommand" || op == "ListCommands" || op == "GetCommandInvocation"
	switch {
	case own || commands && s.Upstream == "":
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
	default:
		if !s.upstream(w, r) {
			jsonError(w, http.StatusBadRequest, "UnknownOperationException", "awstest does not implement "+op)
		}
		return
	}
	var out any
	var err *apiError
	switch op {
	case "DescribeInstancePatches":
		out = s.describeInstancePatches(in)
	case "GetPatchBaseline":
		out, err = s.getPatchBaseline(in)
	case "GetPatchBaselineForPatchGroup":
		out = s.baselineForGroup(in)
	case "GetDefaultPatchBaseline":
		out = s.defaultBaseline(in)
	case "SendCommand":
		out = s.sendCommand(in)
	case "ListCommands":
		out = s.listCommands(in)
	case "GetCommandInvocation":
		out, err = s.getCommandInvocation(in)
	}
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.code, err.msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// throttle spreads ThrottleRate evenly: call n is throttled when n·rate
// crosses an integer, so 30% means exactly 3 of every 10 calls.
func (s *Server) throttle() bool {
	if s.ThrottleRate <= 0 {
		return false
	}
	n := float64(s.ssmCalls.Add(1))
	return math.Floor(n*s.ThrottleRate) != math.Floor((n-1)*s.ThrottleRate)
}

type apiError struct{ code, msg string }

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// page cuts items at NextToken (an offset) to at most MaxResults.
func page[T any](in map[string]any, items []T, def int) ([]T, string) {
	size, _ := in["MaxResults"].(float64)
	token, _ := in["NextToken"].(string)
	return pageAt(items, def, int(size), token)
}

// pageAt cuts items at token (an offset) to at most size (def if 0).
func pageAt[T any](items []T, def, size int, token string) ([]T, string) {
	if size <= 0 {
		size = def
	}
	start, _ := strconv.Atoi(token)
	start = min(max(start, 0), len(items))
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// listRequest is what the fake reads of a DescribeInstanceInformation or
// DescribeInstancePatchStates request, decoded into types (the 10k-instance
// benchmark makes 408 of these calls per inventory).
type listRequest struct {
	// Filters and the older InstanceInformationFilterList ("key",
	// "valueSet") both name InstanceIds.
	Filters                       []idFilterEntry
	InstanceInformationFilterList []idFilterEntry
	InstanceIds                   []string
	MaxResults                    int
	NextToken                     string
}

type idFilterEntry struct {
	Key      string // matches "key" too: field names match case-insensitively
	Values   []string
	ValueSet []string `json:"valueSet"`
}

// serveList answers the two list calls the inventory makes.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, op string) {
	var in listRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if op == "DescribeInstancePatchStates" {
		s.describePatchStates(in).write(w)
		return
	}
	out, err := s.describeInstanceInformation(in)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.code, err.msg)
		return
	}
	out.write(w)
}

// idFilter reads the InstanceIds filter of DescribeInstanceInformation
// (either filter list form); nil when there is none.
func (in listRequest) idFilter() []string {
	for _, fs := range [][]idFilterEntry{in.Filters, in.InstanceInformationFilterList} {
		for _, f := range fs {
			if f.Key == "InstanceIds" {
				return append(f.Values, f.ValueSet...)
			}
		}
	}
	return nil
}

func (s *Server) describeInstanceInformation(in listRequest) (rawList, *apiError) {
	want := in.idFilter()
	s.mu.Lock()
	if s.RejectUnknownIDs {
		for _, id := range want {
			if i, ok := s.byID[id]; !ok || s.instances[i].SSM == nil {
				s.mu.Unlock()
				return rawList{}, &apiError{"InvalidInstanceId", "Instances [[" + id + "]] not in a valid state for account"}
			}
		}
	}
	var list [][]byte
	for _, n := range s.pickIndex(want) {
		if w := s.wireOf(n); w.info != nil {
			list = append(list, w.info)
		}
	}
	s.mu.Unlock()
	items, next := pageAt(list, 50, in.MaxResults, in.NextToken)
	return rawList{key: "InstanceInformationList", items: items, next: next}, nil
}

// pickIndex returns the indexes of the instances named by ids in order,
// or of all for nil ids; the caller holds s.mu.
func (s *Server) pickIndex(ids []string) []int {
	var out []int
	if ids == nil {
		for n := range s.instances {
			out = append(out, n)
		}
		return out
	}
	for _, id := range ids {
		if n, ok := s.byID[id]; ok {
			out = append(out, n)
		}
	}
	return out
}

// pick returns the instances named by ids in order, or all for nil ids;
// the caller holds s.mu.
func (s *Server) pick(ids []string) []Instance {
	if ids == nil {
		return s.instances
	}
	var out []Instance
	for _, id := range ids {
		if i, ok := s.byID[id]; ok {
			out = append(out, s.instances[i])
		}
	}
	return out
}

func (s *Server) describePatchStates(in listRequest) rawList {
	want := in.InstanceIds
	if want == nil {
		want = []string{}
	}
	s.mu.Lock()
	var list [][]byte
	for _, n := range s.pickIndex(want) {
		if w := s.wireOf(n); w.state != nil {
			list = append(list, w.state)
		}
	}
	s.mu.Unlock()
	items, next := pageAt(list, 50, in.MaxResults, in.NextToken)
	return rawList{key: "InstancePatchStates", items: items, next: next}
}

// instanceInfo and patchState are the wire shapes of SSM's
// InstanceInformation and InstancePatchState (typed, so the 10k-instance
// benchmark does not spend its time encoding maps).
type instanceInfo struct {
	InstanceID      string `json:"InstanceId"`
	PingStatus      string
	AgentVersion    string
	PlatformName    string
	PlatformVersion string
	PlatformType    string
	ResourceType    string
	ComputerName    string
}

type patchState struct {
	InstanceID         string `json:"InstanceId"`
	PatchGroup         string
	BaselineID         string `json:"BaselineId"`
	Operation          string
	OperationStartTime float64
	OperationEndTime   float64
	MissingCount       int
	FailedCount        int
	InstalledCount     int
}

// describeInstancePatches lists an instance's patches in the
// PatchComplianceData shape, honouring a State filter (its values are
// spelled Missing, InstalledPendingReboot…; the states in the answer
// MISSING, INSTALLED_PENDING_REBOOT…).
func (s *Server) describeInstancePatches(in map[string]any) any {
	id, _ := in["InstanceId"].(string)
	want := map[string]bool{}
	fs, _ := in["Filters"].([]any)
	for _, f := range fs {
		if m, _ := f.(map[string]any); m["Key"] == "State" {
			for _, v := range strs(m["Values"]) {
				want[filterState(v)] = true
			}
		}
	}
	s.mu.Lock()
	var list []map[string]any
	for _, i := range s.pick([]string{id}) {
		if i.Patches == nil {
			continue
		}
		for _, t := range i.Patches.MissingTitles {
			kb, _, _ := strings.Cut(t, ":")
			list = append(list, map[string]any{"Title": t, "KBId": kb, "Classification": "Security",
				"Severity": "Important", "State": "MISSING", "InstalledTime": 0})
		}
		for _, p := range i.Patches.Patches {
			m := map[string]any{"Title": p.Title, "KBId": p.KBId, "Classification": p.Classification,
				"Severity": p.Severity, "State": p.State, "InstalledTime": 0}
			if !p.InstalledTime.IsZero() {
				m["InstalledTime"] = float64(p.InstalledTime.Unix())
			}
			if p.CVEIds != "" {
				m["CVEIds"] = p.CVEIds
			}
			list = append(list, m)
		}
	}
	s.mu.Unlock()
	if len(want) > 0 {
		kept := list[:0]
		for _, m := range list {
			if want[m["State"].(string)] {
				kept = append(kept, m)
			}
		}
		list = kept
	}
	items, next := page(in, list, 50)
	out := map[string]any{"Patches": items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// filterState turns a State filter value (InstalledPendingReboot) into the
// state it selects (INSTALLED_PENDING_REBOOT).
func filterState(v string) string {
	var b strings.Builder
	for i, r := range v {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
