variable "projects" {
  description = "Projects patchgate inventories, patches, backs up and deploys the sensor in (providers.gcp targets)."
  type        = list(string)
}

variable "service_account" {
  description = "Email of patchgate's own service account (or the workload identity's)."
  type        = string
}

variable "role_id" {
  description = "ID of the custom role created in each project."
  type        = string
  default     = "patchgate"
}

variable "vm_service_accounts" {
  description = "Service accounts the managed VMs run as; they read the Falcon CID secret and the install scripts. Empty: grant those yourself."
  type        = list(string)
  default     = []
}

variable "cid_secret" {
  description = "Secret Manager secret holding the Falcon CID (projects/P/secrets/NAME) the install scripts read on the VM."
  type        = string
  default     = ""
}

variable "installer_bucket" {
  description = "Cloud Storage bucket holding the install scripts (edr.deploy.gcp.script / windows_script)."
  type        = string
  default     = ""
}
