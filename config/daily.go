package config

// The saml and drift sections: the daily checks' settings, their keys and
// docs; validate_daily.go checks them.

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks/drift"
)

// SAML configures the daily SAML certificate check: where identity-provider
// metadata is read from and how far ahead of expiry to warn and to page.
type SAML struct {
	WarnDays int // post a runbook below this many days (default 60)
	PageDays int // also page below this many days (default 14)
	// FetchTimeout bounds one metadata URL fetch (default 30s).
	FetchTimeout time.Duration
	Sources      []SAMLSource
}

// SAMLSource is one metadata document: a URL or a file, never both.
type SAMLSource struct {
	Name        string
	Kind        string // SAMLKinds: which rotation procedure applies
	URL         string
	File        string
	Integration string // what signs in through it, shown on the runbook
	// Accounts makes a kind aws-iam source without url or file read the
	// IAM SAML identity providers of these AWS accounts through
	// providers.aws; empty reads every account providers.aws knows.
	Accounts []string
}

// IAM reports whether the source reads IAM SAML providers through
// providers.aws rather than a metadata URL or file.
func (s SAMLSource) IAM() bool { return s.Kind == "aws-iam" && s.URL == "" && s.File == "" }

// SAMLKinds are the provider kinds a source may name; samlEntraAlias is
// accepted for "entra-id" and decoded as it.
var SAMLKinds = []string{"aws-iam", "okta", "entra-id", samlEntraAlias, "adfs", "generic"}

const samlEntraAlias = "entra"

// Drift configures the morning Terraform drift report.
type Drift struct {
	Workspaces []drift.Workspace
	// Concurrency bounds how many workspaces are checked at once (default 4).
	Concurrency int
	// IncludePlannedChanges also lists the plan's resource_changes.
	IncludePlannedChanges bool
	// Timeout bounds one workspace's init+plan+show (default 10m).
	Timeout time.Duration
	// TerraformPath is the terraform binary (default "terraform" on PATH).
	TerraformPath string
	// Approvers and Groups may Ratify or Remediate a drift item. Unset, the
	// last pipeline tier's (production's) approvers and groups may.
	Approvers []string
	Groups    []string
}

func (d *decoder) saml(s *SAML) func(*yaml.Node, string) {
	return d.section(
		field{"thresholds", "Days before expiry at which to act.", d.section(
			field{"warn_days", "Post the rotation runbook below this many days.", d.integer(&s.WarnDays)},
			field{"page_days", "Also page below this many days.", d.integer(&s.PageDays)},
		)},
		field{"fetch_timeout", "Bound on one metadata URL fetch.", d.duration(&s.FetchTimeout, "s")},
		field{"sources", "Metadata documents to watch; each a URL or a file, never both.", d.samlSources(&s.Sources)},
	)
}

func (d *decoder) samlSources(dst *[]SAMLSource) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []SAMLSource{}
		d.items(v, path, func(v *yaml.Node, p string) {
			s := SAMLSource{Kind: "generic"}
			d.fields(v, p,
				field{"name", "Name shown on the runbook. Required; unique.", d.str(&s.Name)},
				field{"kind", "Which rotation procedure applies: `aws-iam`, `okta`, `entra-id`, `adfs` or `generic`.", d.str(&s.Kind)},
				field{"url", "Metadata URL.", d.str(&s.URL)},
				field{"file", "Metadata file (absolute path).", d.str(&s.File)},
				field{"integration", "What signs in through it, shown on the runbook.", d.str(&s.Integration)},
				field{"accounts", "With `kind: aws-iam` and no `url` or `file`: read the IAM SAML identity providers of these AWS accounts through `providers.aws` (empty: every account it knows). `patchgate saml check` and the bot read the same providers.", d.strs(&s.Accounts)},
			)
			if s.Kind == samlEntraAlias {
				s.Kind = "entra-id"
			}
			out = append(out, s)
		})
		*dst = out
	}
}

func (d *decoder) drift(s *Drift) func(*yaml.Node, string) {
	return d.section(
		field{"workspaces", "Terraform root modules to check with a refresh-only plan.", d.driftWorkspaces(&s.Workspaces)},
		field{"concurrency", "Workspaces checked at once.", d.integer(&s.Concurrency)},
		field{"include_planned_changes", "Also list the plan's resource_changes, not only drift.", d.boolean(&s.IncludePlannedChanges)},
		field{"timeout", "Bound on one workspace's init, plan and show.", d.duration(&s.Timeout, "m")},
		field{"terraform_path", "The terraform binary.", d.str(&s.TerraformPath)},
		field{"approvers", "Slack member IDs who may Ratify or Remediate a drift item; unset: the last pipeline tier's approvers.", d.strs(&s.Approvers)},
		field{"groups", "Slack user-group IDs who may Ratify or Remediate; unset: the last tier's groups.", d.strs(&s.Groups)},
	)
}

func (d *decoder) driftWorkspaces(dst *[]drift.Workspace) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []drift.Workspace{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var w drift.Workspace
			d.fields(v, p,
				field{"name", "Name shown in the digest. Required; unique.", d.str(&w.Name)},
				field{"tenant", "The tenant it belongs to (groups the digest).", d.str(&w.Tenant)},
				field{"account", "The cloud account it manages (groups the digest).", d.str(&w.Account)},
				field{"dir", "The root module's directory; `terraform` runs there.", d.str(&w.Dir)},
				field{"vars", "`-var` values for the plan.", d.strMap(&w.Vars)},
				field{"backend_config", "`-backend-config` values for `terraform init`.", d.strMap(&w.BackendConfig)},
				field{"plan_json", "A recorded `terraform show -json` plan (e.g. a CI artifact) to read instead of running terraform in `dir`.", d.str(&w.PlanJSON)},
			)
			out = append(out, w)
		})
		*dst = out
	}
}
