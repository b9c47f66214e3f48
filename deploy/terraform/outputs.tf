output "bot_role_arn" {
  description = "Set as bot_role_arn when applying in tenant accounts."
  value       = var.create_bot_role ? aws_iam_role.bot[0].arn : ""
}

output "tenant_role_arn" {
  value = var.create_tenant_role ? aws_iam_role.tenant[0].arn : ""
}

output "evidence_kms_key_arn" {
  description = "providers.aws.archive.kms_key_id"
  value       = var.create_bot_role ? aws_kms_key.evidence[0].arn : ""
}

output "patch_baseline_id" {
  value = var.create_tenant_role ? aws_ssm_patch_baseline.patchgate[0].id : ""
}
