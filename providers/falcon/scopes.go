package falcon

// Operation is one gofalcon call patchgate makes and the Falcon API
// scope it needs. Operations is the one table the documentation
// (docs/FALCON_SCOPES.md) and the code are both
// checked against (scopes_test.go): a call added without its row, or a
// scope documented that nothing calls, fails the build's tests.
type Operation struct {
	Call  string // gofalcon service.Method, as c.api.<Call>(…)
	Scope string // as the Falcon console names it in an API client
	Why   string
}

// Operations are every Falcon API call patchgate makes.
var Operations = []Operation{
	{"Hosts.QueryDevicesByFilterScroll", "Hosts: Read", "find hosts' devices by instance ID and hostname (gates, coverage, deployment validation)"},
	{"Hosts.PostDeviceDetailsV2", "Hosts: Read", "device details: version, RFM, host groups, policies, instance ID"},
	{"SensorUpdatePolicies.GetSensorUpdatePoliciesV2", "Sensor update policies: Read", "the update policy's target version (outdated sensors)"},
	{"SensorUpdatePolicies.QueryCombinedSensorUpdateKernels", "Sensor update policies: Read", "kernels each sensor version supports (the sensor gate)"},
	{"MlExclusions.QueryMLExclusionsV1", "Machine learning exclusions: Read", "required ML exclusions before a prevention rollout"},
	{"MlExclusions.GetMLExclusionsV1", "Machine learning exclusions: Read", "required ML exclusions before a prevention rollout"},
	{"IoaExclusions.QueryIOAExclusionsV1", "IOA exclusions: Read", "required IOA exclusions before a prevention rollout"},
	{"IoaExclusions.GetIOAExclusionsV1", "IOA exclusions: Read", "required IOA exclusions before a prevention rollout"},
	{"PreventionPolicies.GetPreventionPolicies", "Prevention policies: Read", "the tier's prevention and detection policies exist"},
	{"PreventionPolicies.PerformPreventionPoliciesAction", "Prevention policies: Write", "move a tier's host group between policies (add-/remove-host-group)"},
	{"HostGroup.QueryGroupMembers", "Host groups: Read", "the tier's hosts for the detection gate"},
	{"Alerts.QueryV2", "Alerts: Read", "detections on the tier's hosts during the monitoring window"},
}

// Scopes are the distinct scopes of Operations, in table order.
func Scopes() []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range Operations {
		if !seen[o.Scope] {
			seen[o.Scope] = true
			out = append(out, o.Scope)
		}
	}
	return out
}
