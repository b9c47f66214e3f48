package reports

import "fmt"

// access is the access report section: who held standing access to the
// tenant's accounts when the report was made, and the identity patchgate
// acted as in each (SOC 2 CC6.1).
func (r *renderer) access() {
	r.pdf.AddPage()
	r.heading("Access report")
	a := r.b.Access
	if a == nil {
		why := r.b.AccessError
		if why == "" {
			why = "no access provider configured"
		}
		r.line("No access report was available at cycle time: " + why + ". SOC 2 CC6.1 is reported as an exception.")
		return
	}
	r.line(fmt.Sprintf("Read at %s: %d grants, %d executing principals.", ts(a.At), len(a.Grants), len(a.Executors)))
	r.pdf.Ln(2)
	r.pdf.SetFont(fontFamily, "B", 9)
	r.pdf.CellFormat(0, 6, "Executors: the identity patchgate acted as in each account", "", 1, "L", false, 0, "")
	t := r.newTable([]column{{"Cloud", 15}, {"Account", 60}, {"Principal", 202}})
	t.header()
	for _, x := range a.Executors {
		t.row(string(x.Cloud), x.Account, x.Principal)
	}
	r.pdf.Ln(3)
	r.pdf.SetFont(fontFamily, "B", 9)
	r.pdf.CellFormat(0, 6, "Grants: standing access to the tenant's accounts", "", 1, "L", false, 0, "")
	t = r.newTable([]column{{"Cloud", 15}, {"Account", 60}, {"Principal", 70}, {"Type", 18}, {"Permission set", 64}, {"Source", 50}})
	t.header()
	for _, g := range a.Grants {
		t.row(string(g.Cloud), g.Account, g.Principal, g.PrincipalType, g.PermissionSet, g.Source)
	}
}
