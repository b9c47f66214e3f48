package runbooks

import (
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// storeUnavailableMessage is what a person is told when the store could not
// be reached: nothing they asked for was recorded.
const storeUnavailableMessage = "The state store is unavailable; nothing was changed. Try again shortly."

// Error codes. A chat adapter shows Message as-is for every code but
// CodeInternal, whose detail stays in the logs.
const (
	CodeInvalid      = "invalid"       // malformed input
	CodeNotFound     = "not_found"     // no such cycle, stage or tenant
	CodeForbidden    = "forbidden"     // the actor may not do this
	CodeSelfApproval = "self_approval" // four-eyes: requester approving
	CodeStale        = "stale"         // decision made on an outdated message
	CodeConflict     = "conflict"      // not valid in the cycle's current state
	CodeUnavailable  = "unavailable"   // the store or a provider is down; try again
	// CodeBlocked is a provider's verdict that the operation must not run
	// as configured (e.g. the cloud's patch baseline differs from the one
	// declared); retrying cannot help, so the stage fails at once.
	CodeBlocked = "blocked"
	// CodePending is a provider saying the work a call waits for (a cloud
	// assessment that takes minutes) is under way: not an error, and not
	// counted against the stage; the step is tried again on a later tick.
	// The provider bounds how long it stays pending.
	CodePending  = "pending"
	CodeInternal = "internal"
)

// Error is an error whose Message is safe to show the person who caused it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds a coded error with a user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, CodeUnavailable for an uncoded error
// that wraps state.ErrUnavailable (the store could not be reached),
// CodeInternal for any other uncoded error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, state.ErrUnavailable):
		return CodeUnavailable
	}
	return CodeInternal
}

// ErrorMessage returns the user-safe message of err; uncoded errors get a
// generic text so internals never reach a chat.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	case errors.Is(err, state.ErrUnavailable):
		return storeUnavailableMessage
	}
	return "Internal error; it has been logged."
}
