// Command patchgate is the patch-cycle ChatOps bot: the engine, its Slack
// front end and the operator CLI in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: 0 on success, 1
// when a check found a problem (an audit break, an invalid config), 3 when
// a check could not be made (an unreachable anchor, an unknown key), 2 on
// any other error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var fe *findingError
	var ue *uncheckedError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &fe):
		return 1
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "patchgate: could not check:", err)
		return 3
	default:
		fmt.Fprintln(stderr, "patchgate:", err)
		return 2
	}
}

// findingError means a check ran and found a problem it already printed.
type findingError struct{ msg string }

func (e *findingError) Error() string { return e.msg }
