package sim

import _ "embed"

// driftPlan is a recorded `terraform show -json` of a refresh-only plan
// against AWS: a security group opened to 0.0.0.0/0 and re-tagged in the
// console, an instance resized, a database's storage (and masked password)
// changed, a log bucket deleted.
//
//go:embed drift_plan.json
var driftPlan []byte

// DemoDriftPlan returns the seeded drift of the demo fleet as a recorded
// plan. (terraform_data, the only resource terraform can plan offline,
// never drifts on refresh, so provider drift comes recorded.)
func DemoDriftPlan() []byte { return append([]byte(nil), driftPlan...) }
