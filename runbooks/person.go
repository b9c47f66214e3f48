package runbooks

import (
	"context"
	"time"
)

// Person is a chat user as the directory knew them when they acted: the
// evidence names people, not only IDs, so an auditor can match each
// approval to the identity provider's access review. Name and email are
// recorded at decision time and never refreshed: a later rename does not
// rewrite who approved.
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Unresolved says why Name and Email could not be read (the directory
	// failed or timed out); the ID stands alone then.
	Unresolved string `json:"unresolved,omitempty"`
}

// Label is the person for reports and logs: "Name <email> (ID)", or the ID
// with the reason its name is missing.
func (p Person) Label() string {
	switch {
	case p.Unresolved != "":
		return p.ID + " (name could not be read: " + p.Unresolved + ")"
	case p.Name == "" && p.Email == "":
		return p.ID
	case p.Email == "":
		return p.Name + " (" + p.ID + ")"
	case p.Name == "":
		return "<" + p.Email + "> (" + p.ID + ")"
	}
	return p.Name + " <" + p.Email + "> (" + p.ID + ")"
}

// personTimeout bounds one directory lookup: a decision must not wait on a
// slow directory longer than Slack waits for its acknowledgement.
const personTimeout = 2 * time.Second

// person resolves id through the directory. A failure keeps the ID and
// says the name could not be read; it never refuses the decision (the
// approval policy checks IDs, not names).
func (e *Engine) person(ctx context.Context, id string) Person {
	if id == ActorSystem {
		return Person{ID: id, Name: ActorSystem}
	}
	if e.deps.Directory == nil {
		return Person{ID: id, Unresolved: "no directory configured"}
	}
	ctx, cancel := context.WithTimeout(ctx, personTimeout)
	defer cancel()
	p, err := e.deps.Directory.Person(ctx, id)
	if err != nil {
		e.log.Warn("read person", "actor", id, "err", err)
		return Person{ID: id, Unresolved: "directory lookup failed"}
	}
	p.ID = id
	return p
}

// emitBy is emit for an event a person caused: the actor is their ID and
// the event records who they were.
func (c *Cycle) emitBy(now time.Time, stage, typ string, who Person, detail string, data map[string]string) {
	c.emit(now, stage, typ, who.ID, detail, data)
	c.Outbox[len(c.Outbox)-1].Person = &who
}
