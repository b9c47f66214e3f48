package main

import "context"

// remediation is filled by its branch this session.
func (p *slackPeople) remediation(ctx context.Context) error { return nil }

// demoRemediationYAML is filled by its branch this session.
func demoRemediationYAML(dir string) string { return "" }
