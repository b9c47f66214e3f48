package multi

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// combine reports every cloud's error, each named, so an outage in one
// cloud never hides another's. When clouds fail differently the result
// takes the code that asks the most of the engine (see codeRank): a
// blocked cloud fails the stage, an internal error is counted, and the
// step is pending only while every failing cloud is. The person sees each
// cloud's safe message; the log gets every internal error's detail.
func combine(errs map[runbooks.Cloud]error) error {
	names := sortedKeys(errs)
	if len(names) == 0 {
		return nil
	}
	code := runbooks.ErrorCode(errs[names[0]])
	for _, n := range names[1:] {
		if c := runbooks.ErrorCode(errs[n]); codeRank(c) > codeRank(code) {
			code = c
		}
	}
	var out []error
	if code != runbooks.CodeInternal {
		msgs := make([]string, len(names))
		for i, n := range names {
			msgs[i] = fmt.Sprintf("%s: %s", n, runbooks.ErrorMessage(errs[n]))
		}
		out = append(out, runbooks.Errorf(code, "%s", strings.Join(msgs, "; ")))
	}
	for _, n := range names {
		err := errs[n]
		switch c := runbooks.ErrorCode(err); {
		case c == runbooks.CodeInternal || c == code && code == runbooks.CodeUnavailable:
			out = append(out, fmt.Errorf("%s: %w", n, err)) // the detail, for the log
		case code == runbooks.CodeInternal:
			// Text only: wrapping would let a coded error decide the
			// combined code through errors.As.
			out = append(out, fmt.Errorf("%s: %v", n, err))
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return joined(out)
}

// codeRank orders codes by what they ask of the engine: pending waits,
// unavailable and internal are counted attempts, anything else (blocked,
// conflict, …) is a verdict.
func codeRank(code string) int {
	switch code {
	case runbooks.CodePending:
		return 0
	case runbooks.CodeUnavailable:
		return 1
	case runbooks.CodeInternal:
		return 2
	}
	return 3
}

// joined is errors.Join with the parts on one line, as log fields and
// Slack messages want them.
type joined []error

func (j joined) Error() string {
	s := make([]string, len(j))
	for i, e := range j {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

func (j joined) Unwrap() []error { return j }
