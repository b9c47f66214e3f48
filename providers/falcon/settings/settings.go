// Package settings holds the Falcon provider's defaults and the clouds it
// knows for providers.falcon. It imports only the standard library, so
// config decodes, validates and documents the section with them without
// linking gofalcon, and the client fills what a caller left zero from the
// same place.
package settings

import "time"

// Settings are the keys of providers.falcon that have a default.
type Settings struct {
	Cloud string
	// LastSeenWithin: a sensor silent longer than this after patching
	// fails verification.
	LastSeenWithin time.Duration
}

// Defaults is what an absent key means.
func Defaults() Settings {
	return Settings{Cloud: "us-1", LastSeenWithin: 15 * time.Minute}
}

// Clouds are the Falcon API regions patchgate knows.
var Clouds = []string{"us-1", "us-2", "eu-1", "us-gov-1"}
