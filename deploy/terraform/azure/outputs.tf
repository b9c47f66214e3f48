output "role_definition_id" {
  description = "Resource ID of the patchgate role, for assignments made elsewhere."
  value       = azurerm_role_definition.patchgate.role_definition_resource_id
}
