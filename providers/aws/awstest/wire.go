package awstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// wire is one instance's answers as the fake sends them, encoded once: the
// 10k-instance benchmark shares the process with the fake, so the fake's
// CPU is kept to copying bytes and the benchmark's figure stays the
// provider's.
type wire struct {
	ec2   []byte // its DescribeInstances reservation item
	info  []byte // its InstanceInformation, nil when SSM does not know it
	state []byte // its InstancePatchState, nil when none is reported
}

// wireOf returns instance i's encoded answers, encoding them on first use;
// the caller holds s.mu. Add and SetPatchState encode what they change, so
// a benchmark's calls only copy.
func (s *Server) wireOf(i int) *wire {
	for len(s.wires) < len(s.instances) {
		s.wires = append(s.wires, nil)
	}
	if w := s.wires[i]; w != nil {
		return w
	}
	in := s.instances[i]
	var b strings.Builder
	fmt.Fprintf(&b, `<item><reservationId>r-%s</reservationId><ownerId>%s</ownerId><instancesSet><item><instanceId>%s</instanceId>`+
		`<instanceState><code>16</code><name>running</name></instanceState><platformDetails>Linux/UNIX</platformDetails>`,
		esc(in.ID), esc(in.Account), esc(in.ID))
	if s.DocumentedItems {
		b.WriteString(documentedMembers)
	}
	b.WriteString(`<tagSet>`)
	fmt.Fprintf(&b, `<item><key>Name</key><value>%s</value></item>`, esc(in.Name))
	for k, v := range in.Tags {
		fmt.Fprintf(&b, `<item><key>%s</key><value>%s</value></item>`, esc(k), esc(v))
	}
	b.WriteString(`</tagSet></item></instancesSet></item>`)
	w := &wire{ec2: []byte(b.String())}
	if in.SSM != nil {
		w.info, _ = json.Marshal(instanceInfo{
			InstanceID: in.ID, PingStatus: in.SSM.PingStatus, AgentVersion: in.SSM.AgentVersion,
			PlatformName: in.SSM.PlatformName, PlatformVersion: in.SSM.PlatformVersion, PlatformType: "Linux",
			ResourceType: "EC2Instance", ComputerName: in.Name,
		})
	}
	if p := in.Patches; p != nil {
		end := float64(p.End.Unix())
		w.state, _ = json.Marshal(patchState{
			InstanceID: in.ID, BaselineID: "pb-fake", Operation: p.Operation,
			OperationStartTime: end - 60, OperationEndTime: end,
			MissingCount: p.Missing, FailedCount: p.Failed, InstalledCount: p.Installed,
		})
	}
	s.wires[i] = w
	return w
}

// encode (re-)encodes instance i's answers; the caller holds s.mu.
func (s *Server) encode(i int) {
	if i < len(s.wires) {
		s.wires[i] = nil
	}
	s.wireOf(i)
}

// rawList is an SSM list answer of items already encoded.
type rawList struct {
	key   string // InstanceInformationList, InstancePatchStates
	items [][]byte
	next  string
}

func (l rawList) write(w http.ResponseWriter) {
	n := len(l.key) + len(l.next) + 32
	for _, it := range l.items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"`...)
	b = append(b, l.key...)
	b = append(b, `":[`...)
	for k, it := range l.items {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, ']')
	if l.next != "" {
		b = append(b, `,"NextToken":"`...)
		b = append(b, l.next...) // an offset: digits only
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
