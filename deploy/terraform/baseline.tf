# The patch baseline patchgate checks before every patch run
# (providers.aws.patch.baseline): the seed's Critical + High security
# patches, approved seven days after release.
resource "aws_ssm_patch_baseline" "patchgate" {
  count            = var.create_tenant_role ? 1 : 0
  name             = "patchgate-${lower(var.operating_system)}"
  description      = "patchgate: ${join("+", var.severities)} ${join("+", var.classifications)} after ${var.approve_after_days} days"
  operating_system = var.operating_system

  approval_rule {
    approve_after_days = var.approve_after_days
    patch_filter {
      key    = "SEVERITY"
      values = var.severities
    }
    patch_filter {
      key    = "CLASSIFICATION"
      values = var.classifications
    }
  }
}

resource "aws_ssm_patch_group" "patchgate" {
  count       = var.create_tenant_role ? 1 : 0
  baseline_id = aws_ssm_patch_baseline.patchgate[0].id
  patch_group = var.patch_group
}
