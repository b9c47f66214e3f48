package azure

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
)

// machine kinds.
const (
	kindVM  = "vm"
	kindArc = "arc"
)

// resource is the parts of an ARM resource ID the clients need.
type resource struct {
	id, sub, group, name, kind string
}

// parseMachine reads a VM or Arc machine resource ID (a Host.ID).
func parseMachine(id string) (resource, error) {
	r, err := arm.ParseResourceID(id)
	if err != nil {
		return resource{}, fmt.Errorf("host %s: not an ARM resource ID: %w", id, err)
	}
	res := resource{id: id, sub: r.SubscriptionID, group: r.ResourceGroupName, name: r.Name}
	switch strings.ToLower(r.ResourceType.String()) {
	case "microsoft.compute/virtualmachines":
		res.kind = kindVM
	case "microsoft.hybridcompute/machines":
		res.kind = kindArc
	default:
		return resource{}, fmt.Errorf("host %s: resource type %s is neither a virtual machine nor an Arc machine", id, r.ResourceType)
	}
	return res, nil
}

// str dereferences an optional string from the SDK.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}
