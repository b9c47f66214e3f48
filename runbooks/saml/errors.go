package saml

import "fmt"

// MetadataError says which source (and, when known, which entity) a metadata
// failure came from, so a runbook message can point straight at it.
type MetadataError struct {
	Source   string
	EntityID string // empty when the failure is not inside an entity
	Err      error
}

func (e *MetadataError) Error() string {
	if e.EntityID == "" {
		return fmt.Sprintf("saml metadata %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("saml metadata %s: entity %q: %v", e.Source, e.EntityID, e.Err)
}

func (e *MetadataError) Unwrap() error { return e.Err }
