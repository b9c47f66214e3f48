# The IAM patchgate needs on GCP: one custom role per project patchgate
# manages, bound to patchgate's service account, and (optionally) read
# access for the VMs' own service account to the Falcon CID secret and the
# install scripts' bucket. The role's permissions are kept as JSON beside
# this file so a Go test (providers/gcp/role_test.go) can prove they list
# exactly what the provider's code calls.
terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.0"
    }
  }
}
