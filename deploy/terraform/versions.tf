# IAM, evidence storage and the patch baseline patchgate needs on AWS.
#
# Apply once in the bot's account (bot role, evidence bucket) and, with
# create_tenant_role = true and a provider for that account, once in every
# tenant account (the cross-account role and the patch baseline). The
# policies are kept as JSON beside this file so a Go test
# (providers/aws/policy_test.go) can prove they list exactly the actions the
# provider's code calls.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
