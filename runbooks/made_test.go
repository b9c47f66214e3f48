package runbooks

import "testing"

func TestMadeNamesEachKindItCounted(t *testing.T) {
	for _, tt := range []struct {
		m    Made
		want string
	}{
		{Made{}, ""},
		{Made{Images: 4, DBSnapshots: 1}, "4 images, 1 database snapshot"},
		{Made{Images: 1, DBClusterSnapshots: 2, DiskSnapshots: 3}, "1 image, 2 database cluster snapshots, 3 disk snapshots"},
		{Made{Images: 2}.Plus(Made{DiskSnapshots: 1, Images: 1}), "3 images, 1 disk snapshot"},
	} {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%+v = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestOpSummaryCountsWhatWasMade(t *testing.T) {
	st := OpStatus{Done: true, Total: 5, Succeeded: 5, Made: Made{Images: 4, DBSnapshots: 1}}
	if got, want := opSummary(st, 5), "4 images, 1 database snapshot made, 0 failed"; got != want {
		t.Errorf("backup summary %q, want %q", got, want)
	}
	if got, want := opSummary(OpStatus{Done: true, Total: 3, Succeeded: 2, Failed: 1}, 3), "2/3 succeeded, 1 failed"; got != want {
		t.Errorf("patch summary %q, want %q", got, want)
	}
}
