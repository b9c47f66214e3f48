package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"google.golang.org/api/googleapi"

	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/runbooks"
)

// Checks are the read-only probes `patchgate doctor` runs against Google
// Cloud: an OAuth2 token from the configured credentials (the file, else
// Application Default Credentials), then per project
// one OS Config inventory read (a page of one), which fails when the OS
// Config API is not enabled there or the identity may not read it.
func (p *Provider) Checks(targets []runbooks.Target) []doctor.Check {
	checks := []doctor.Check{p.tokenCheck()}
	byProject := map[string][]runbooks.Target{}
	for _, t := range targets {
		if t.Cloud == runbooks.GCP {
			byProject[t.Account] = append(byProject[t.Account], t)
		}
	}
	projects := make([]string, 0, len(byProject))
	for pr := range byProject {
		projects = append(projects, pr)
	}
	slices.Sort(projects)
	for _, pr := range projects {
		checks = append(checks, p.inventoryCheck(pr, byProject[pr]))
	}
	return checks
}

func (p *Provider) tokenCheck() doctor.Check {
	return doctor.Check{Name: "gcp: token", Run: func(ctx context.Context) (string, error) {
		fix := "check providers.gcp.credentials_file (or the pod's workload identity / GOOGLE_APPLICATION_CREDENTIALS)"
		opts := &credentials.DetectOptions{Scopes: []string{cloudPlatform}}
		var creds *auth.Credentials
		var err error
		if f := p.cfg.CredentialsFile; f != "" {
			t := p.cfg.CredentialsType
			if t == "" {
				t = string(credentials.ServiceAccount)
			}
			creds, err = credentials.NewCredentialsFromFile(credentials.CredType(t), f, opts)
		} else {
			creds, err = credentials.DetectDefault(opts)
		}
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("gcp credentials: %w", err), fix)
		}
		tok, err := creds.Token(ctx)
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("gcp token: %w", err), fix)
		}
		return "token valid until " + tok.Expiry.UTC().Format("15:04Z"), nil
	}}
}

// inventoryCheck reads one page of one OS Config inventory of project:
// in the first zone the targets name, else the zone of its first
// instance in scope.
func (p *Provider) inventoryCheck(project string, targets []runbooks.Target) doctor.Check {
	return doctor.Check{Name: "gcp project " + project + ": os config inventory", Run: func(ctx context.Context) (string, error) {
		zone, err := p.someZone(ctx, targets)
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("find a zone of project %s: %w", project, err),
				"grant the identity compute.instances.list on the project (roles/compute.viewer) and check providers.gcp.compute_endpoint")
		}
		if zone == "" {
			return "", doctor.Fixf("name a zone in the project's gcp targets (regions: [us-central1-a]) or start an instance there",
				"project %s has no running instance in scope and its targets name no zone: no OS Config inventory to read", project)
		}
		parent := fmt.Sprintf("projects/%s/locations/%s/instances/-", project, zone)
		res, err := p.osconfig.Projects.Locations.Instances.Inventories.List(parent).PageSize(1).Context(ctx).Do()
		switch {
		case serviceDisabled(err):
			return "", doctor.Fix(fmt.Errorf("os config inventories in %s: the OS Config API is not enabled in project %s", zone, project),
				fmt.Sprintf("enable it: gcloud services enable osconfig.googleapis.com --project %s (and turn on VM Manager's OS inventory)", project))
		case httpCode(err) == 403 || httpCode(err) == 401:
			return "", doctor.Fix(fmt.Errorf("os config inventories in %s: %w", zone, apiShort(err)),
				fmt.Sprintf("grant the identity roles/osconfig.inventoryViewer (and patchgate's patch roles) on project %s", project))
		case err != nil:
			return "", doctor.Fix(fmt.Errorf("os config inventories in %s: %w", zone, apiShort(err)), "check providers.gcp.osconfig_endpoint is reachable from here")
		}
		return fmt.Sprintf("inventory read in %s (%d on the first page)", zone, len(res.Inventories)), nil
	}}
}

func (p *Provider) someZone(ctx context.Context, targets []runbooks.Target) (string, error) {
	for _, t := range targets {
		for _, r := range t.Regions {
			if isZone(r) {
				return r, nil
			}
		}
	}
	for _, t := range targets {
		vms, err := p.instances(ctx, t)
		if err != nil {
			return "", err
		}
		if len(vms) > 0 {
			return vms[0].Zone, nil
		}
	}
	return "", nil
}

// serviceDisabled: Google answers 403 with an ErrorInfo of reason
// SERVICE_DISABLED when the API is off in the project.
func serviceDisabled(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 403 {
		return false
	}
	details, _ := json.Marshal(ge.Details)
	return strings.Contains(string(details), "SERVICE_DISABLED") || strings.Contains(ge.Message, "has not been used in project")
}

// apiShort is a Google API error's code and message, without the request
// dump; other errors stay as they are.
func apiShort(err error) error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return fmt.Errorf("HTTP %d: %s", ge.Code, ge.Message)
	}
	return err
}
