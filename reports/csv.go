package reports

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// The CSV files of the evidence bundle, one row per host, decision and
// audit event, with a header row. Column order is part of the evidence
// schema: new columns go at the end.
var (
	hostsColumns = []string{"host_id", "host_name", "cloud", "account", "region", "env", "os", "os_version",
		"kernel_before", "kernel_after", "pending_kernel", "pending_patches", "last_patched", "managed", "agent_status",
		"has_sensor", "sensor_version", "sensor_rfm", "result", "reason"}
	approvalsColumns = []string{"stage", "env", "decision", "by", "at", "message_revision", "interaction", "code", "detail",
		"by_name", "by_email", "by_lookup"}
	eventsColumns = []string{"seq", "at", "stage", "type", "actor", "detail", "data", "actor_name", "actor_email", "actor_lookup"}
)

// hostsCSV writes one row per host in b with what the cycle did to it.
func hostsCSV(buf io.Writer, b *Bundle) error {
	w := csv.NewWriter(buf)
	if err := w.Write(hostsColumns); err != nil {
		return err
	}
	idx := b.index()
	row := make([]string, len(hostsColumns))
	for i := range b.Hosts {
		h := &b.Hosts[i]
		res, reason := idx.hostResult(h)
		before := b.KernelBefore[h.ID]
		if before == "" {
			before = h.Kernel
		}
		row = append(row[:0], cell(h.ID), cell(h.Name), string(h.Cloud), cell(h.Account), cell(h.Region), cell(h.Env),
			cell(h.OS), cell(h.OSVersion), cell(before), cell(h.Kernel), cell(h.PendingKernel), strconv.Itoa(h.PendingPatches),
			csvTime(h.LastPatched), strconv.FormatBool(h.Managed), cell(h.AgentStatus), strconv.FormatBool(h.HasSensor),
			cell(h.SensorVersion), strconv.FormatBool(h.SensorRFM), res, cell(reason))
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// approvalsCSV writes every approval and every refused decision.
func approvalsCSV(buf io.Writer, b *Bundle) error {
	w := csv.NewWriter(buf)
	if err := w.Write(approvalsColumns); err != nil {
		return err
	}
	for i := range b.Cycle.Stages {
		s := &b.Cycle.Stages[i]
		for _, a := range s.Approvals {
			row := []string{cell(s.Name), cell(s.Env), "approved", cell(a.By), csvTime(a.At),
				strconv.FormatInt(a.Revision, 10), cell(a.Interaction), "", ""}
			if err := w.Write(append(row, personCells(personOf(a.Person, a.By))...)); err != nil {
				return err
			}
		}
	}
	for _, e := range b.Refusals {
		env := ""
		if s, _ := b.Cycle.Stage(e.Stage); s != nil {
			env = s.Env
		}
		row := []string{cell(e.Stage), cell(env), "refused " + cell(e.Data["action"]), cell(e.Actor), csvTime(e.At),
			cell(e.Data["seen_revision"]), cell(e.Data["interaction"]), cell(e.Data["code"]), cell(e.Detail)}
		if err := w.Write(append(row, personCells(personOf(e.Person, e.Actor))...)); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// eventsCSV writes the cycle's audit events; data is the event's data as
// JSON (keys sorted), so nothing is lost to flattening.
func eventsCSV(buf io.Writer, b *Bundle) error {
	w := csv.NewWriter(buf)
	if err := w.Write(eventsColumns); err != nil {
		return err
	}
	for _, e := range b.Events {
		data := ""
		if len(e.Data) > 0 {
			j, err := json.Marshal(e.Data)
			if err != nil {
				return err
			}
			data = string(j)
		}
		row := []string{strconv.FormatInt(e.Seq, 10), csvTime(e.At), cell(e.Stage), cell(e.Type),
			cell(e.Actor), cell(e.Detail), data, "", "", ""}
		if e.Person != nil {
			copy(row[7:], personCells(*e.Person))
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// cell guards a text cell a spreadsheet would run as a formula (a host
// name or a reason comes from outside) with a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
