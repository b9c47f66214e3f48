package servicenow

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// envelope is every sn_chg_rest answer: {"result": …}. The documentation
// shows result as one record object and, in its create/update examples, as
// a list holding one; both are read.
type envelope struct {
	Result json.RawMessage `json:"result"`
}

func (e envelope) records() ([]record, error) {
	raw := bytes.TrimSpace(e.Result)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '[':
		var rs []record
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("servicenow: decode result list: %w", err)
		}
		return rs, nil
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("servicenow: decode result: %w", err)
	}
	return []record{r}, nil
}

// record is a change_request record. sn_chg_rest gives each field as
// {"value": …, "display_value": …}; some documented examples give sys_id as
// a plain string, which is read too.
type record map[string]json.RawMessage

type field struct {
	Value        any `json:"value"`
	DisplayValue any `json:"display_value"`
}

func (r record) field(name string) (field, bool) {
	raw, ok := r[name]
	if !ok {
		return field{}, false
	}
	var f field
	if len(raw) > 0 && raw[0] == '{' {
		if json.Unmarshal(raw, &f) == nil {
			return f, true
		}
		return field{}, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return field{}, false
	}
	return field{Value: v, DisplayValue: v}, true
}

func (r record) value(name string) string {
	f, _ := r.field(name)
	return text(f.Value)
}

func (r record) display(name string) string {
	f, _ := r.field(name)
	if s := text(f.DisplayValue); s != "" {
		return s
	}
	return text(f.Value)
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}
