package terraform

import (
	"encoding/json"
	"reflect"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDiffPaths(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []string
	}{
		{"equal", `{"a":1,"b":{"c":[1,2]}}`, `{"a":1,"b":{"c":[1,2]}}`, nil},
		{"scalar", `{"a":1}`, `{"a":2}`, []string{"a"}},
		{"nested map", `{"tags":{"Owner":"x"}}`, `{"tags":{"Owner":"y"}}`, []string{"tags.Owner"}},
		{"key added and removed", `{"tags":{"A":"1"}}`, `{"tags":{"B":"1"}}`, []string{"tags.A", "tags.B"}},
		{"list element", `{"l":[{"c":["a","b"]}]}`, `{"l":[{"c":["a","z"]}]}`, []string{"l[0].c[1]"}},
		{"list grew", `{"l":["a"]}`, `{"l":["a","b","c"]}`, []string{"l[1]", "l[2]"}},
		{"list shrank", `{"l":["a","b"]}`, `{"l":["a"]}`, []string{"l[1]"}},
		{"null is empty list", `{"l":[]}`, `{"l":null}`, nil},
		{"null is empty map", `{"m":null}`, `{"m":{}}`, nil},
		{"type change", `{"a":"1"}`, `{"a":1}`, []string{"a"}},
		{"odd key quoted", `{"tags":{"kubernetes.io/role":"a"}}`, `{"tags":{"kubernetes.io/role":"b"}}`, []string{`tags["kubernetes.io/role"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range diffPaths(decode(t, tt.before), decode(t, tt.after)) {
				got = append(got, pathString(p))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsSensitive(t *testing.T) {
	marks := decode(t, `{"password":true,"nested":{"list":[false,true]},"block":[{"secret":true}],"plain":false}`)
	seg := func(k string) segment { return segment{key: k} }
	idx := func(i int) segment { return segment{index: i, isIdx: true} }
	tests := []struct {
		path []segment
		want bool
	}{
		{[]segment{seg("password")}, true},
		{[]segment{seg("plain")}, false},
		{[]segment{seg("absent")}, false},
		{[]segment{seg("nested"), seg("list"), idx(0)}, false},
		{[]segment{seg("nested"), seg("list"), idx(1)}, true},
		{[]segment{seg("nested")}, true}, // contains a secret below it
		{[]segment{seg("block"), idx(0), seg("secret")}, true},
		{[]segment{seg("password"), seg("deeper")}, true},
	}
	for _, tt := range tests {
		if got := isSensitive(marks, tt.path); got != tt.want {
			t.Errorf("isSensitive(%s) = %v, want %v", pathString(tt.path), got, tt.want)
		}
	}
	if !isSensitive(true, []segment{seg("anything")}) {
		t.Error("a wholly sensitive object must mark every path")
	}
}
