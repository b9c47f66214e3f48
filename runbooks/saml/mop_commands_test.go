package saml

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	codeSpan    = regexp.MustCompile("`([^`]*)`")
	placeholder = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*>`)
)

// commands are the backquoted spans of a procedure: the only code spans a
// MOP writes, since prose strips backquotes from the values it fills in.
func commands(p Procedure) []string {
	var texts []string
	for _, s := range p.Steps {
		texts = append(texts, s.Text)
	}
	texts = append(append(texts, p.Verification...), p.Rollback...)
	var out []string
	for _, t := range texts {
		for _, m := range codeSpan.FindAllStringSubmatch(t, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// bashParses runs bash -n over one command and returns its complaint.
func bashParses(t *testing.T, bash, cmd string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cmd.sh")
	if err := os.WriteFile(path, []byte(cmd+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-n", path).CombinedOutput()
	if err != nil {
		return strings.TrimSpace(string(out)) + " (" + err.Error() + ")"
	}
	return ""
}

// TestMOPCommandsParseWithHostileLabels copies every command of every MOP
// kind, with integration labels and entity IDs an operator or a metadata
// document could write, into bash -n; none may break the shell, carry a
// <placeholder>, or put a label into a command unquoted.
func TestMOPCommandsParseWithHostileLabels(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to check the MOP commands: %v", err)
	}
	const arn = "arn:aws:iam::123456789012:saml-provider/okta-cu-harbor"
	const thumb = "3F2A9C0D5E6B7A8C9D0E1F2A3B4C5D6E7F8A9B0C"
	labels := []string{
		"123456789012:okta-cu-harbor",
		"Harbor (prod) portal",
		`it's "quoted"`,
		"$(touch /tmp/pwned); echo $HOME",
		"a; rm -rf / & b | c",
		"back`tick` and\nnewline",
	}
	for _, kind := range []ProviderKind{KindAWS, KindOkta, KindEntra, KindADFS, KindGeneric} {
		for _, label := range labels {
			for _, arnKnown := range []bool{true, false} {
				if !arnKnown && kind != KindAWS {
					continue
				}
				f := fixedFinding()
				f.Certificate.Thumbprint = thumb
				f.Certificate.EntityID = "http://adfs.firstcu.example/adfs/services/trust"
				if arnKnown {
					f.Certificate.ResourceID = arn
				}
				p := MOP(kind, f, label)
				if ph := placeholder.FindString(p.Markdown()); ph != "" {
					t.Errorf("%s %q: MOP keeps the placeholder %s", kind, label, ph)
				}
				cmds := commands(p)
				for _, c := range cmds {
					if msg := bashParses(t, bash, c); msg != "" {
						t.Errorf("%s %q: command does not parse: %s\n%s", kind, label, msg, c)
					}
					if strings.ContainsAny(label, " ()'\"$;&|`") && strings.Contains(c, label) {
						t.Errorf("%s %q: the label reaches a command as written: %s", kind, label, c)
					}
				}
				checkKnownValuesFilled(t, kind, label, arnKnown, cmds)
			}
		}
	}
}

// checkKnownValuesFilled: the provider ARN, the old thumbprint and the AD FS
// host are known to patchgate, so the commands carry them; the backup file
// the AWS MOP writes is the one its rollback reads.
func checkKnownValuesFilled(t *testing.T, kind ProviderKind, label string, arnKnown bool, cmds []string) {
	t.Helper()
	all := strings.Join(cmds, "\n")
	switch kind {
	case KindAWS:
		var written, read string
		for _, c := range cmds {
			if !strings.HasPrefix(c, "aws iam get-saml-provider") && !strings.HasPrefix(c, "aws iam update-saml-provider") {
				continue
			}
			if arnKnown && !strings.Contains(c, "--saml-provider-arn 'arn:aws:iam::123456789012:saml-provider/okta-cu-harbor'") {
				t.Errorf("aws %q: command lacks the known provider ARN: %s", label, c)
			}
			if !arnKnown && !strings.Contains(c, "$PROVIDER_ARN") && !strings.Contains(c, "${PROVIDER_ARN") {
				t.Errorf("aws %q: command without a known ARN does not take PROVIDER_ARN: %s", label, c)
			}
			if _, w, ok := strings.Cut(c, "> "); ok {
				written = w
			}
			if _, r, ok := strings.Cut(c, "file://"); ok && !strings.Contains(r, "new-metadata") {
				read = r
			}
		}
		if written == "" || read == "" || strings.Trim(written, "'") != strings.Trim(read, "'") {
			t.Errorf("aws %q: backup written to %q but rollback reads %q", label, written, read)
		}
	case KindADFS:
		for _, want := range []string{"-Thumbprint '" + "3F2A9C0D5E6B7A8C9D0E1F2A3B4C5D6E7F8A9B0C" + "' -IsPrimary", "https://adfs.firstcu.example/adfs/ls/idpinitiatedsignon.aspx"} {
			if !strings.Contains(all, want) {
				t.Errorf("adfs %q: commands lack %q:\n%s", label, want, all)
			}
		}
	}
}

func TestSlugIsOneShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"123456789012:okta-cu-harbor": "123456789012-okta-cu-harbor",
		"Harbor (prod) portal":        "Harbor-prod-portal",
		"--rm -rf":                    "rm--rf",
		"..hidden":                    "hidden",
		"$;`'\"":                      "saml-provider",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
