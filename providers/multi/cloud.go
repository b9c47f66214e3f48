// Package multi routes the engine's fleet ports to one provider per cloud,
// so a tenant whose environments span AWS, Azure and GCP runs one cycle with
// one combined inventory and the same gates everywhere.
package multi

import "github.com/patchgate/patchgate/runbooks"

// Cloud is what one cloud's provider contributes: the ports that act on
// machines. Sensors, health, paging and chat are cloud-independent and stay
// outside the router.
type Cloud struct {
	Inventory runbooks.Inventory
	Backups   runbooks.Backups
	Patcher   runbooks.Patcher
	// Findings reads missing patches per host (optional: nil leaves the
	// cloud's hosts unmeasured by the SLA posture).
	Findings runbooks.PatchFindings
	// Restorer returns the cloud's hosts to their pre-patch backups
	// (optional: without it a rollback of the cloud's hosts is refused).
	Restorer runbooks.Restorer
	// SensorInstaller installs the EDR sensor through the cloud's agent
	// (optional: without it a deployment to the cloud's hosts is refused).
	SensorInstaller runbooks.SensorInstaller
	// Catalog lists and deletes the cloud's pre-patch backups for the
	// retention job (optional: without it the cloud's backups are left
	// alone, and said so).
	Catalog runbooks.BackupCatalog
}
