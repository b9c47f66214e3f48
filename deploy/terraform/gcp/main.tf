locals {
  role = jsondecode(file("${path.module}/role-gcp.json"))
}

resource "google_project_iam_custom_role" "patchgate" {
  for_each    = toset(var.projects)
  project     = each.value
  role_id     = var.role_id
  title       = local.role.title
  description = local.role.description
  permissions = local.role.permissions
}

resource "google_project_iam_member" "patchgate" {
  for_each = toset(var.projects)
  project  = each.value
  role     = google_project_iam_custom_role.patchgate[each.value].name
  member   = "serviceAccount:${var.service_account}"
}

# patchgate never reads the CID: the install script does, on the VM, as
# the VM's service account.
resource "google_secret_manager_secret_iam_member" "vm_reads_cid" {
  for_each  = var.cid_secret == "" ? toset([]) : toset(var.vm_service_accounts)
  secret_id = var.cid_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value}"
}

# The OS Config agent downloads the install script as the VM's service
# account (patch job pre-step or OS policy file resource).
resource "google_storage_bucket_iam_member" "vm_reads_installer" {
  for_each = var.installer_bucket == "" ? toset([]) : toset(var.vm_service_accounts)
  bucket   = var.installer_bucket
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${each.value}"
}
