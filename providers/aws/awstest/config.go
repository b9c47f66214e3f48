package awstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// moto 5.2.1 has no StartConfigRulesEvaluation and no GetComplianceDetails*
// (its Config backend stores rules and takes PutEvaluations only in test
// mode), so Server answers them in AWS Config's awsJson1.1 protocol
// (X-Amz-Target StarlingDoveService.<Op>), with the shapes of the AWS
// Config API Reference: StartConfigRulesEvaluation {ConfigRuleNames} → {};
// GetComplianceDetailsByConfigRule {ConfigRuleName, ComplianceTypes, Limit,
// NextToken} → {EvaluationResults: [{EvaluationResultIdentifier:
// {EvaluationResultQualifier: {ConfigRuleName, ResourceType, ResourceId},
// OrderingTimestamp}, ComplianceType, ResultRecordedTime,
// ConfigRuleInvokedTime}], NextToken}, timestamps as epoch seconds.

// ConfigResult is one evaluation result of a rule in an account.
type ConfigResult struct {
	Account, Rule, ResourceType, ResourceID, Compliance string
	Recorded                                            time.Time
}

// configState is the fake's AWS Config, per account.
type configState struct {
	rules   map[string]bool // account/rule
	results []ConfigResult
	// running refuses StartConfigRulesEvaluation of account/rule with
	// LimitExceededException, as Config does while an evaluation runs.
	running map[string]bool
	starts  []ConfigStart
	// evaluate runs on each start: the test's stand-in for Config
	// evaluating the rule.
	evaluate func(account, rule string)
}

// ConfigStart is one StartConfigRulesEvaluation the fake accepted.
type ConfigStart struct {
	Account string
	Rules   []string
}

// AddConfigRule makes rule exist in account; evaluate, when set, runs on
// each accepted StartConfigRulesEvaluation of it (outside the fake's lock,
// so it may call SetConfigResult).
func (s *Server) AddConfigRule(account, rule string, evaluate func(account, rule string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.config.rules == nil {
		s.config.rules, s.config.running = map[string]bool{}, map[string]bool{}
	}
	s.config.rules[account+"/"+rule] = true
	if evaluate != nil {
		s.config.evaluate = evaluate
	}
}

// SetConfigEvaluationRunning makes Config refuse to start rule in account
// again until it is cleared.
func (s *Server) SetConfigEvaluationRunning(account, rule string, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config.running[account+"/"+rule] = running
}

// SetConfigResult records r, replacing the result of its rule and resource.
func (s *Server) SetConfigResult(r ConfigResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.config.results {
		if o.Account == r.Account && o.Rule == r.Rule && o.ResourceID == r.ResourceID {
			s.config.results[i] = r
			return
		}
	}
	s.config.results = append(s.config.results, r)
}

// ConfigStarts are the evaluations started so far.
func (s *Server) ConfigStarts() []ConfigStart {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ConfigStart(nil), s.config.starts...)
}

// serveConfig answers one AWS Config call.
func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request, op string) {
	s.count("config." + op)
	var in struct {
		ConfigRuleNames []string
		ConfigRuleName  string
		ComplianceTypes []string
		Limit           int
		NextToken       string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	acct := account(r)
	var out any
	switch op {
	case "StartConfigRulesEvaluation":
		s.mu.Lock()
		for _, rule := range in.ConfigRuleNames {
			switch {
			case !s.config.rules[acct+"/"+rule]:
				s.mu.Unlock()
				jsonError(w, http.StatusBadRequest, "NoSuchConfigRuleException", "The ConfigRule '"+rule+"' provided in the request is invalid. Please check the configRule name.")
				return
			case s.config.running[acct+"/"+rule]:
				s.mu.Unlock()
				jsonError(w, http.StatusBadRequest, "LimitExceededException", "An evaluation is already in progress for the rule "+rule+".")
				return
			}
		}
		s.config.starts = append(s.config.starts, ConfigStart{Account: acct, Rules: in.ConfigRuleNames})
		evaluate := s.config.evaluate
		s.mu.Unlock()
		if evaluate != nil {
			for _, rule := range in.ConfigRuleNames {
				evaluate(acct, rule)
			}
		}
		out = struct{}{}
	case "GetComplianceDetailsByConfigRule":
		var err *apiError
		if out, err = s.complianceByRule(acct, in.ConfigRuleName, in.ComplianceTypes, in.Limit, in.NextToken); err != nil {
			jsonError(w, http.StatusBadRequest, err.code, err.msg)
			return
		}
	default:
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "awstest does not implement Config "+op)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) complianceByRule(acct, rule string, types []string, limit int, next string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.config.rules[acct+"/"+rule] {
		return nil, &apiError{"NoSuchConfigRuleException", "The ConfigRule '" + rule + "' provided in the request is invalid. Please check the configRule name."}
	}
	if limit <= 0 {
		limit = 10 // Config's default page
	}
	if limit > 100 {
		return nil, &apiError{"InvalidLimitException", "The limit must be between 0 and 100."}
	}
	type qualifier struct{ ConfigRuleName, ResourceType, ResourceId string }
	type identifier struct {
		EvaluationResultQualifier qualifier
		OrderingTimestamp         float64
	}
	type result struct {
		EvaluationResultIdentifier identifier
		ComplianceType             string
		ResultRecordedTime         float64
		ConfigRuleInvokedTime      float64
	}
	var all []result
	for _, c := range s.config.results {
		if c.Account != acct || c.Rule != rule || len(types) > 0 && !slices.Contains(types, c.Compliance) {
			continue
		}
		at := float64(c.Recorded.UnixMilli()) / 1000
		all = append(all, result{EvaluationResultIdentifier: identifier{qualifier{rule, c.ResourceType, c.ResourceID}, at},
			ComplianceType: c.Compliance, ResultRecordedTime: at, ConfigRuleInvokedTime: at})
	}
	start, _ := strconv.Atoi(next)
	start = min(start, len(all))
	end := min(start+limit, len(all))
	out := map[string]any{"EvaluationResults": all[start:end]}
	if end < len(all) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}
