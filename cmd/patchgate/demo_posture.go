package main

import "context"

// posture is filled by its branch this session.
func (p *slackPeople) posture(ctx context.Context) error { return nil }

// demoPostureYAML is filled by its branch this session.
func demoPostureYAML(dir string) string { return "" }
