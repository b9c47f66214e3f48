// Package terraform finds drift between Terraform state and the real
// infrastructure. For each workspace it runs `terraform init`, a refresh-only
// plan with -detailed-exitcode and `show -json` through terraform-exec, and
// turns the terraform-json plan into a list of changed resources and the
// attribute paths that changed. Values are left out by default, and sensitive
// values are always masked, because drift reports are posted to Slack.
package terraform
