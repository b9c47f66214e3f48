output "roles" {
  description = "The custom role's name in each project."
  value       = { for p, r in google_project_iam_custom_role.patchgate : p => r.name }
}
