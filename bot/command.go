package bot

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// Subcommand names a /patch subcommand.
type Subcommand string

// The /patch subcommands.
const (
	CmdHelp      Subcommand = "help"
	CmdStatus    Subcommand = "status"
	CmdPreflight Subcommand = "preflight"
	CmdStart     Subcommand = "start"
	CmdHalt      Subcommand = "halt"
	CmdResume    Subcommand = "resume"
	CmdReport    Subcommand = "report"
	CmdSAML      Subcommand = "saml"
	CmdDrift     Subcommand = "drift"
	CmdDigest    Subcommand = "digest"
)

// Command is a parsed /patch command line.
type Command struct {
	Name   Subcommand
	Tenant string // status (optional), preflight, start
	Cycle  string // halt, resume, report
	Reason string // halt (optional free text)
	Topic  string // help (optional subcommand)
	Args   string // posture, except: the words after the subcommand, parsed by their feature
	Env    string // rollback, sensors deploy
	// Hosts are rollback's and sensors deploy's optional host names, space-separated (a string
	// keeps Command comparable).
	Hosts string
}

// subcommandSpec describes one subcommand for parsing and help.
type subcommandSpec struct {
	name    Subcommand
	args    string // the usage of its arguments
	summary string
}

// subcommands are listed in the order help shows them.
var subcommands = []subcommandSpec{
	{CmdHelp, "[subcommand]", "show this help"},
	{CmdStatus, "[tenant]", "list active cycles, or one tenant's"},
	{CmdPreflight, "<tenant>", preflightSummary},
	{CmdStart, "<tenant>", "open a patch cycle: preflight inventory, then each environment after its approvals; nothing is patched until someone approves"},
	{CmdHalt, "<cycle> [reason…]", "stop a cycle where it stands (requester or any approver)"},
	{CmdResume, "<cycle>", "resume a halted cycle (a failed stage needs Retry or Proceed-with-exclusions instead)"},
	{CmdReport, "<cycle>", "re-post the cycle's compliance report (PDF and CSV) into its thread"},
	{CmdSAML, "", "run the SAML certificate check now: runbooks for certificates expiring soon are posted to the channel"},
	{CmdDrift, "", "run the Terraform drift report now and post the digest to the channel"},
	{CmdDigest, "", "post the active-cycle status digest to the channel now"},
	{CmdPosture, slaPostureArgs, slaPostureSummary},
	{CmdExcept, slaExceptArgs, slaExceptSummary},
	{CmdSensors, sensorsArgs, sensorsSummary},
	{CmdRollback, "<cycle> <env> [host…]", "request a rollback of an environment's hosts (all with a pre-patch backup when none is named) to that cycle's pre-patch backups; the environment's approvers approve it on its message"},
	{CmdPrevention, preventionArgs, preventionSummary},
	{CmdRemediations, "[tenant]", remediationsSummary},
	{CmdDismiss, "<RM-id> <reason…>", dismissSummary},
	{CmdFreeze, runbooks.FreezeUsage, freezeSummary},
	{CmdUnfreeze, runbooks.UnfreezeUsage, unfreezeSummary},
	{CmdEmergency, runbooks.EmergencyUsage, emergencySummary},
	{CmdWaive, waiveArgs, waiveSummary},
}

func specOf(name Subcommand) (subcommandSpec, bool) {
	for _, s := range subcommands {
		if s.name == name {
			return s, true
		}
	}
	return subcommandSpec{}, false
}

// Usage is the one-line usage of /patch.
const Usage = "/patch help | status [tenant] | preflight <tenant> | start <tenant> | halt <cycle> [reason…] | resume <cycle> | report <cycle> | saml | drift | digest | posture [tenant] | except … | sensors [tenant] | sensors validate <tenant> [env] | sensors deploy <tenant> <env> [host…] | rollback <cycle> <env> [host…] | prevention [rollback] <tenant> <tier> | remediations [tenant] | dismiss <RM-id> <reason…> | freeze <tenant|all> <until> <reason…> | unfreeze <tenant|all> | emergency <tenant> <reason…> [--hosts h1,h2] | waive <cycle> <stage> <soak|window> <justification…>"

// usageOf is the usage line of one subcommand.
func usageOf(name Subcommand) string {
	s, ok := specOf(name)
	if !ok {
		return Usage
	}
	return strings.TrimSpace("/patch " + string(s.name) + " " + s.args)
}

// HelpText is the reply to /patch help.
func HelpText() string {
	var b strings.Builder
	b.WriteString("*/patch* runs OS patch cycles. Subcommands:\n")
	for _, s := range subcommands {
		fmt.Fprintf(&b, "• `%s` — %s\n", usageOf(s.name), s.summary)
	}
	b.WriteString("Approve, reject, retry and halt a cycle with the buttons on its message in the cycles channel.")
	return b.String()
}

// CommandError is a /patch line that could not be parsed. Its text names the
// problem and ends with the usage line, so the reply tells the person what
// to type instead.
type CommandError struct {
	Problem string
	Usage   string
}

func (e *CommandError) Error() string { return e.Problem + "\nUsage: " + e.Usage }

func cmdErr(usage, format string, args ...any) *CommandError {
	return &CommandError{Problem: fmt.Sprintf(format, args...), Usage: usage}
}

// Names are kept to what configuration and the engine produce, so a typo or
// pasted junk is caught here with a clear message.
var (
	tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	cycleID    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

// maxReason bounds a halt reason (it goes into the audit trail).
const maxReason = 500

// ParseCommand parses the text after /patch. Empty text is help.
func ParseCommand(text string) (Command, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return Command{Name: CmdHelp}, nil
	}
	name := Subcommand(strings.ToLower(fields[0]))
	args := fields[1:]
	if _, ok := specOf(name); !ok {
		return Command{}, cmdErr(Usage, "Unknown subcommand %s.", quote(fields[0]))
	}
	usage := usageOf(name)
	cmd := Command{Name: name}
	switch name {
	case CmdHelp:
		if err := maxArgs(usage, name, args, 1); err != nil {
			return Command{}, err
		}
		if len(args) == 1 {
			topic := Subcommand(strings.ToLower(args[0]))
			if _, ok := specOf(topic); !ok {
				return Command{}, cmdErr(Usage, "There is no subcommand %s to help with.", quote(args[0]))
			}
			cmd.Topic = string(topic)
		}
	case CmdStatus:
		if err := maxArgs(usage, name, args, 1); err != nil {
			return Command{}, err
		}
		if len(args) == 1 {
			t, err := parseTenant(usage, args[0])
			if err != nil {
				return Command{}, err
			}
			cmd.Tenant = t
		}
	case CmdPreflight, CmdStart:
		if len(args) == 0 {
			return Command{}, cmdErr(usage, "%s needs a tenant.", name)
		}
		if err := maxArgs(usage, name, args, 1); err != nil {
			return Command{}, err
		}
		t, err := parseTenant(usage, args[0])
		if err != nil {
			return Command{}, err
		}
		cmd.Tenant = t
	case CmdHalt, CmdResume, CmdReport:
		if len(args) == 0 {
			return Command{}, cmdErr(usage, "%s needs a cycle ID (it is on the cycle's message, or see /patch status).", name)
		}
		if name != CmdHalt {
			if err := maxArgs(usage, name, args, 1); err != nil {
				return Command{}, err
			}
		}
		id, err := parseCycle(usage, args[0])
		if err != nil {
			return Command{}, err
		}
		cmd.Cycle = id
		cmd.Reason = strings.Join(args[1:], " ")
		if len(cmd.Reason) > maxReason {
			return Command{}, cmdErr(usage, "The halt reason is %d characters; keep it under %d.", len(cmd.Reason), maxReason)
		}
	case CmdSAML, CmdDrift, CmdDigest:
		if err := maxArgs(usage, name, args, 0); err != nil {
			return Command{}, err
		}
	case CmdWaive:
		return parseWaive(usage, args)
	case CmdPosture, CmdExcept, CmdFreeze, CmdUnfreeze, CmdEmergency:
		cmd.Args = strings.Join(args, " ")
	case CmdSensors:
		if len(args) > 0 && strings.ToLower(args[0]) == sensorsDeployWord {
			return parseSensorDeploy(usage, args[1:])
		}
		if err := maxArgs(usage, name, args, 3); err != nil {
			return Command{}, err
		}
		cmd.Args = strings.Join(args, " ")
	case CmdRollback:
		return parseRollback(usage, args)
	case CmdPrevention:
		return parsePrevention(usage, args)
	case CmdRemediations:
		if err := maxArgs(usage, name, args, 1); err != nil {
			return Command{}, err
		}
		if len(args) == 1 {
			t, err := parseTenant(usage, args[0])
			if err != nil {
				return Command{}, err
			}
			cmd.Tenant = t
		}
	case CmdDismiss:
		return parseDismiss(usage, args)
	}
	return cmd, nil
}

func maxArgs(usage string, name Subcommand, args []string, n int) error {
	if len(args) <= n {
		return nil
	}
	switch n {
	case 0:
		return cmdErr(usage, "%s takes no arguments (got %d).", name, len(args))
	case 1:
		return cmdErr(usage, "%s takes one argument (got %d).", name, len(args))
	}
	return cmdErr(usage, "%s takes at most %d arguments (got %d).", name, n, len(args))
}

func parseTenant(usage, s string) (string, error) {
	t := strings.ToLower(unwrap(s))
	if !tenantName.MatchString(t) {
		return "", cmdErr(usage, "%s is not a tenant name (lower-case letters, digits, '.', '_' and '-').", quote(s))
	}
	return t, nil
}

func parseCycle(usage, s string) (string, error) {
	id := unwrap(s)
	if !cycleID.MatchString(id) {
		return "", cmdErr(usage, "%s is not a cycle ID (like acme-cu-20261122-0200-1a2b3c).", quote(s))
	}
	return id, nil
}

// unwrap drops the backticks or quotes a pasted name often carries.
func unwrap(s string) string { return strings.Trim(s, "`'\"") }

// quote shows user input in a reply: quoted, and cut short so a pasted wall
// of text does not come back at the person.
func quote(s string) string {
	const maxShown = 40
	if r := []rune(s); len(r) > maxShown {
		s = string(r[:maxShown]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
