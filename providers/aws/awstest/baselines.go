package awstest

import "fmt"

// The patch baseline calls moto lacks: GetPatchBaseline, and (for the
// baselines the fake serves) GetPatchBaselineForPatchGroup and
// GetDefaultPatchBaseline.

func (s *Server) getPatchBaseline(in map[string]any) (any, *apiError) {
	id, _ := in["BaselineId"].(string)
	s.mu.Lock()
	b, ok := s.baselines[id]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{"DoesNotExistException", fmt.Sprintf("Patch Baseline %s does not exist.", id)}
	}
	filters := []map[string]any{}
	if len(b.Severities) > 0 {
		filters = append(filters, map[string]any{"Key": "SEVERITY", "Values": b.Severities})
	}
	if len(b.Classifications) > 0 {
		filters = append(filters, map[string]any{"Key": "CLASSIFICATION", "Values": b.Classifications})
	}
	return map[string]any{
		"BaselineId": b.ID, "Name": b.ID, "OperatingSystem": b.OperatingSystem,
		"ApprovalRules": map[string]any{"PatchRules": []any{map[string]any{
			"PatchFilterGroup": map[string]any{"PatchFilters": filters}, "ApproveAfterDays": b.ApproveAfterDays,
		}}},
	}, nil
}

func (s *Server) baselineForGroup(in map[string]any) any {
	g, _ := in["PatchGroup"].(string)
	os, _ := in["OperatingSystem"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"BaselineId": s.groups[g], "PatchGroup": g, "OperatingSystem": os}
}

func (s *Server) defaultBaseline(in map[string]any) any {
	os, _ := in["OperatingSystem"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"BaselineId": s.defaults[os], "OperatingSystem": os}
}
