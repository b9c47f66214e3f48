package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePlanJSONProviderDrift(t *testing.T) {
	drift, changes, err := ParsePlanJSON(readFixture(t, "aws_drift.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Address: "aws_security_group.web", Type: "aws_security_group", Action: ActionUpdate,
			Paths: []string{"ingress[0].cidr_blocks[1]", "tags.Owner", "tags.Temp"}},
		{Address: "module.app.aws_instance.app[0]", Type: "aws_instance", Action: ActionUpdate,
			Paths: []string{"instance_type"}},
		{Address: "aws_db_instance.main", Type: "aws_db_instance", Action: ActionUpdate,
			Paths: []string{"allocated_storage", "password"}},
		{Address: "aws_s3_bucket.logs", Type: "aws_s3_bucket", Action: ActionDelete},
	}
	if !reflect.DeepEqual(drift, want) {
		t.Errorf("drift:\n got %+v\nwant %+v", drift, want)
	}
	if len(changes) != 0 {
		t.Errorf("changes = %+v, want none", changes)
	}
	assertNoSecrets(t, drift)
}

func TestParsePlanJSONPlannedChanges(t *testing.T) {
	drift, changes, err := ParsePlanJSON(readFixture(t, "planned_changes.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Address: "aws_iam_role.patcher", Type: "aws_iam_role", Action: ActionCreate},
		{Address: "aws_launch_template.app", Type: "aws_launch_template", Action: ActionReplace,
			Paths: []string{"id", "image_id", "user_data"}},
	}
	if len(drift) != 0 || !reflect.DeepEqual(changes, want) {
		t.Errorf("drift %+v\nchanges:\n got %+v\nwant %+v", drift, changes, want)
	}
}

// With values asked for, plain values appear but sensitive ones stay masked.
func TestParsePlanJSONValuesMaskSensitive(t *testing.T) {
	drift, _, err := ParsePlanJSONWith(readFixture(t, "aws_drift.json"), ParseOptions{IncludeValues: true})
	if err != nil {
		t.Fatal(err)
	}
	_, changes, err := ParsePlanJSONWith(readFixture(t, "planned_changes.json"), ParseOptions{IncludeValues: true})
	if err != nil {
		t.Fatal(err)
	}
	db := drift[2]
	wantDB := []PathValue{
		{Path: "allocated_storage", Before: float64(100), After: float64(200)},
		{Path: "password", Before: Masked, After: Masked, Sensitive: true},
	}
	if !reflect.DeepEqual(db.Values, wantDB) {
		t.Errorf("db values = %+v, want %+v", db.Values, wantDB)
	}
	sg := drift[0].Values[0]
	if sg.Path != "ingress[0].cidr_blocks[1]" || sg.Before != "10.1.0.0/16" || sg.After != "0.0.0.0/0" {
		t.Errorf("sg value = %+v", sg)
	}
	assertNoSecrets(t, drift)
	assertNoSecrets(t, changes)
}

func TestParsePlanJSONRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "{", `{"format_version":"9.0"}`} {
		if _, _, err := ParsePlanJSON([]byte(in)); err == nil {
			t.Errorf("ParsePlanJSON(%q) = nil error", in)
		}
	}
}

// assertNoSecrets fails if any sensitive fixture value survives into output.
func assertNoSecrets(t *testing.T, cs []Change) {
	t.Helper()
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Corr3ct-Horse-Battery", "N3w-Rotated-S3cret!", "c2VjcmV0", "bmV3c2VjcmV0"} {
		if strings.Contains(string(b), s) {
			t.Errorf("secret %q leaked: %s", s, b)
		}
	}
}
