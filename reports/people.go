package reports

import (
	"slices"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// notRecorded is why a person has no name when their record carries none
// (a decision recorded before people were).
const notRecorded = "not recorded at decision time"

// personOf is the person recorded for an actor, or the bare ID saying the
// name was not recorded.
func personOf(p *runbooks.Person, id string) runbooks.Person {
	if p != nil {
		q := *p
		if q.ID == "" {
			q.ID = id
		}
		return q
	}
	return runbooks.Person{ID: id, Unresolved: notRecorded}
}

// personCells are a person's name, email and lookup note for a CSV row:
// the note says why the name is missing, or is empty.
func personCells(p runbooks.Person) []string {
	lookup := ""
	if p.Unresolved != "" {
		lookup = "name could not be read: " + p.Unresolved
	}
	return []string{cell(p.Name), cell(p.Email), cell(lookup)}
}

// personRow is one person in the cycle's evidence with what they did.
type personRow struct {
	runbooks.Person
	roles []string
}

// people lists everyone who requested, approved, decided or was refused in
// the cycle, as recorded when they acted, in order of first appearance.
// The system actor is not a person and is left out.
func (b *Bundle) people() []personRow {
	var rows []*personRow
	byID := map[string]*personRow{}
	add := func(p runbooks.Person, role string) {
		if p.ID == "" || p.ID == runbooks.ActorSystem {
			return
		}
		r := byID[p.ID]
		if r == nil {
			r = &personRow{Person: p}
			byID[p.ID] = r
			rows = append(rows, r)
		} else if r.Unresolved != "" && p.Unresolved == "" {
			r.Person = p // a later lookup that worked names them
		}
		if !slices.Contains(r.roles, role) {
			r.roles = append(r.roles, role)
		}
	}
	c := b.Cycle
	if c.Requester != "" {
		add(personOf(c.RequestedBy, c.Requester), "requested the cycle")
	}
	for i := range c.Stages {
		for _, a := range c.Stages[i].Approvals {
			add(personOf(a.Person, a.By), "approved "+c.Stages[i].Name)
		}
	}
	for _, e := range b.Events {
		if e.Person != nil && e.Type != runbooks.EvCycleStarted && e.Type != runbooks.EvApproved {
			add(personOf(e.Person, e.Actor), e.Type)
		}
	}
	for _, e := range b.Refusals {
		add(personOf(e.Person, e.Actor), "refused: "+e.Data["action"])
	}
	out := make([]personRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out
}

// people prints who acted in the cycle with their Slack ID, name and email
// as recorded at the time, so each approval can be matched to the identity
// provider's access review.
func (r *renderer) people() {
	rows := r.b.people()
	r.pdf.Ln(4)
	r.heading("People")
	r.line("Slack user ID, display name and email as Slack's users.info gave them when each person acted; " +
		"a later rename does not change them. A failed lookup keeps the ID and says so.")
	t := r.newTable([]column{{"Slack ID", 22}, {"Name", 42}, {"Email", 58}, {"Acted as", 85}, {"Note", 70}})
	t.header()
	for _, p := range rows {
		note := ""
		if p.Unresolved != "" {
			note = "name could not be read: " + p.Unresolved
		}
		t.row(p.ID, p.Name, p.Email, strings.Join(p.roles, ", "), note)
	}
	if len(rows) == 0 {
		r.line("No person acted in this cycle.")
	}
}
