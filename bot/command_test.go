package bot

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	long := strings.Repeat("x", 501)
	tests := []struct {
		text    string
		want    Command
		problem string // the error's problem; "" means it parses
		usage   string // the error's usage line
	}{
		{text: "", want: Command{Name: CmdHelp}},
		{text: "   ", want: Command{Name: CmdHelp}},
		{text: "help", want: Command{Name: CmdHelp}},
		{text: "HELP Start", want: Command{Name: CmdHelp, Topic: "start"}},
		{text: "help nope", problem: `There is no subcommand "nope" to help with.`, usage: Usage},
		{text: "help a b", problem: "help takes one argument (got 2).", usage: "/patch help [subcommand]"},
		{text: "status", want: Command{Name: CmdStatus}},
		{text: "status acme-cu", want: Command{Name: CmdStatus, Tenant: "acme-cu"}},
		{text: "status `Acme-CU`", want: Command{Name: CmdStatus, Tenant: "acme-cu"}},
		{text: "status a b", problem: "status takes one argument (got 2).", usage: "/patch status [tenant]"},
		{text: "status acme/cu", problem: `"acme/cu" is not a tenant name (lower-case letters, digits, '.', '_' and '-').`, usage: "/patch status [tenant]"},
		{text: "preflight acme-cu", want: Command{Name: CmdPreflight, Tenant: "acme-cu"}},
		{text: "preflight", problem: "preflight needs a tenant.", usage: "/patch preflight <tenant>"},
		{text: "preflight a b", problem: "preflight takes one argument (got 2).", usage: "/patch preflight <tenant>"},
		{text: "start  acme-cu ", want: Command{Name: CmdStart, Tenant: "acme-cu"}},
		{text: "start", problem: "start needs a tenant.", usage: "/patch start <tenant>"},
		{text: "start acme-cu now", problem: "start takes one argument (got 2).", usage: "/patch start <tenant>"},
		{text: "start <@U123>", problem: `"<@U123>" is not a tenant name (lower-case letters, digits, '.', '_' and '-').`, usage: "/patch start <tenant>"},
		{text: "start " + strings.Repeat("a", 64), problem: `"` + strings.Repeat("a", 40) + `…" is not a tenant name (lower-case letters, digits, '.', '_' and '-').`, usage: "/patch start <tenant>"},
		{text: "halt acme-cu-20261122-0200-abc123", want: Command{Name: CmdHalt, Cycle: "acme-cu-20261122-0200-abc123"}},
		{text: "halt acme-cu-20261122-0200-abc123 backup  window\tmissed", want: Command{Name: CmdHalt, Cycle: "acme-cu-20261122-0200-abc123", Reason: "backup window missed"}},
		{text: "halt", problem: "halt needs a cycle ID (it is on the cycle's message, or see /patch status).", usage: "/patch halt <cycle> [reason…]"},
		{text: "halt c1 " + long, problem: "The halt reason is 501 characters; keep it under 500.", usage: "/patch halt <cycle> [reason…]"},
		{text: "halt ../etc", problem: `"../etc" is not a cycle ID (like acme-cu-20261122-0200-1a2b3c).`, usage: "/patch halt <cycle> [reason…]"},
		{text: "resume `acme-cu-1`", want: Command{Name: CmdResume, Cycle: "acme-cu-1"}},
		{text: "resume", problem: "resume needs a cycle ID (it is on the cycle's message, or see /patch status).", usage: "/patch resume <cycle>"},
		{text: "resume a b", problem: "resume takes one argument (got 2).", usage: "/patch resume <cycle>"},
		{text: "report acme-cu-1", want: Command{Name: CmdReport, Cycle: "acme-cu-1"}},
		{text: "report", problem: "report needs a cycle ID (it is on the cycle's message, or see /patch status).", usage: "/patch report <cycle>"},
		{text: "report a b", problem: "report takes one argument (got 2).", usage: "/patch report <cycle>"},
		{text: "report a/b", problem: `"a/b" is not a cycle ID (like acme-cu-20261122-0200-1a2b3c).`, usage: "/patch report <cycle>"},
		{text: "saml", want: Command{Name: CmdSAML}},
		{text: "saml now", problem: "saml takes no arguments (got 1).", usage: "/patch saml"},
		{text: "drift", want: Command{Name: CmdDrift}},
		{text: "digest", want: Command{Name: CmdDigest}},
		{text: "drift a b", problem: "drift takes no arguments (got 2).", usage: "/patch drift"},
		{text: "rollback acme-cu-1 staging", want: Command{Name: CmdRollback, Cycle: "acme-cu-1", Env: "staging"}},
		{text: "rollback acme-cu-1 production `web-01` db-01", want: Command{Name: CmdRollback, Cycle: "acme-cu-1", Env: "production", Hosts: "web-01 db-01"}},
		{text: "rollback acme-cu-1", problem: "rollback needs a cycle ID and an environment (the hosts are optional: all with a backup).", usage: "/patch rollback <cycle> <env> [host…]"},
		{text: "rollback a/b staging", problem: `"a/b" is not a cycle ID (like acme-cu-20261122-0200-1a2b3c).`, usage: "/patch rollback <cycle> <env> [host…]"},
		{text: "deploy prod", problem: `Unknown subcommand "deploy".`, usage: Usage},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := ParseCommand(tt.text)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("ParseCommand(%q): %v", tt.text, err)
				}
				if got != tt.want {
					t.Fatalf("ParseCommand(%q) = %+v, want %+v", tt.text, got, tt.want)
				}
				return
			}
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCommand(%q) = %+v, %v; want a CommandError", tt.text, got, err)
			}
			if ce.Problem != tt.problem || ce.Usage != tt.usage {
				t.Fatalf("ParseCommand(%q) error\n problem %q\n usage   %q\nwant\n problem %q\n usage   %q", tt.text, ce.Problem, ce.Usage, tt.problem, tt.usage)
			}
			if want := tt.problem + "\nUsage: " + tt.usage; err.Error() != want {
				t.Fatalf("error text %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestHelpListsEverySubcommand(t *testing.T) {
	help := HelpText()
	for _, s := range subcommands {
		if !strings.Contains(help, "`"+usageOf(s.name)+"`") {
			t.Errorf("help does not show %s", usageOf(s.name))
		}
		if !strings.Contains(Usage, string(s.name)) {
			t.Errorf("usage line does not name %s", s.name)
		}
	}
	for _, s := range []string{"preflight", "SAML certificate check", "drift report", "status digest"} {
		if !strings.Contains(help, s) {
			t.Errorf("help does not say %q", s)
		}
	}
}

// FuzzParseCommand: any text parses or fails with a CommandError that
// carries a usage line; nothing panics, and what parses is well formed.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "status acme-cu", "start acme-cu", "preflight x", "halt c1 because",
		"resume c1", "report c1", "saml", "drift", "start", "halt", "nope", "start `a`", "status \x00", "halt c1 " + strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text)
		if err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCommand(%q): error %T %v is not a CommandError", text, err, err)
			}
			if ce.Problem == "" || !strings.HasPrefix(ce.Usage, "/patch") || !strings.Contains(err.Error(), "\nUsage: /patch") {
				t.Fatalf("ParseCommand(%q): error %q lacks a problem or usage", text, err)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("ParseCommand(%q): error is %d bytes; user input must be cut short", text, len(err.Error()))
			}
			return
		}
		if _, ok := specOf(cmd.Name); !ok {
			t.Fatalf("ParseCommand(%q) = unknown subcommand %q", text, cmd.Name)
		}
		if cmd.Tenant != "" && !tenantName.MatchString(cmd.Tenant) {
			t.Fatalf("ParseCommand(%q): tenant %q escaped validation", text, cmd.Tenant)
		}
		if cmd.Cycle != "" && !cycleID.MatchString(cmd.Cycle) {
			t.Fatalf("ParseCommand(%q): cycle %q escaped validation", text, cmd.Cycle)
		}
		switch cmd.Name {
		case CmdStart, CmdPreflight:
			if cmd.Tenant == "" {
				t.Fatalf("ParseCommand(%q): %s without a tenant", text, cmd.Name)
			}
		case CmdHalt, CmdResume, CmdReport:
			if cmd.Cycle == "" {
				t.Fatalf("ParseCommand(%q): %s without a cycle", text, cmd.Name)
			}
		}
		if len(cmd.Reason) > maxReason || !utf8.ValidString(cmd.Reason) && utf8.ValidString(text) {
			t.Fatalf("ParseCommand(%q): reason %q", text, cmd.Reason)
		}
	})
}
