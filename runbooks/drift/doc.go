// Package drift is the morning drift report: it checks every configured
// Terraform workspace (through a Checker port the terraform provider
// implements), keeps each drifted resource as an item in the store, posts a
// digest grouped by tenant and account with Ratify and Remediate decisions
// per item, and marks items resolved when their drift disappears. A
// workspace whose check failed is reported as failed, never as clean, and
// its open items stay open.
package drift
