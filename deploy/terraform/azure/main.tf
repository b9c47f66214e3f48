# The Azure role patchgate's Azure provider runs as: a custom role whose
# actions are exactly the ARM operations the code calls, kept as JSON
# beside this file so providers/azure/role_test.go can prove it (none
# missing, none unused). Its own root module: apply it once per directory
# or management group that holds the subscriptions patchgate patches, and
# assign it to patchgate's identity at each subscription (or resource
# group) in providers.azure.
terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.definition_subscription_id
}

locals {
  role = jsondecode(file("${path.module}/role-azure.json"))
}

resource "azurerm_role_definition" "patchgate" {
  name              = var.role_name != "" ? var.role_name : local.role.name
  scope             = var.definition_scope
  description       = local.role.description
  assignable_scopes = length(var.assignable_scopes) > 0 ? var.assignable_scopes : [var.definition_scope]

  permissions {
    actions     = local.role.actions
    not_actions = []
  }
}

# One assignment per scope patchgate works in (a subscription or a
# resource group of providers.azure / the tenants' Azure targets).
resource "azurerm_role_assignment" "patchgate" {
  for_each           = toset(var.assignment_scopes)
  scope              = each.value
  role_definition_id = azurerm_role_definition.patchgate.role_definition_resource_id
  principal_id       = var.principal_id
}
