variable "definition_subscription_id" {
  description = "Subscription the azurerm provider authenticates against."
  type        = string
}

variable "definition_scope" {
  description = "Scope the role is defined at: /subscriptions/<id> or /providers/Microsoft.Management/managementGroups/<id>."
  type        = string
}

variable "assignable_scopes" {
  description = "Scopes the role may be assigned at (default: definition_scope)."
  type        = list(string)
  default     = []
}

variable "role_name" {
  description = "Name of the custom role (default: the name in role-azure.json)."
  type        = string
  default     = ""
}

variable "principal_id" {
  description = "Object ID of patchgate's identity (managed identity or service principal of providers.azure)."
  type        = string
}

variable "assignment_scopes" {
  description = "Subscriptions or resource groups patchgate patches, each assigned the role."
  type        = list(string)
  default     = []
}
