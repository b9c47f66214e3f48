variable "bot_role_name" {
  description = "Name of the role the patchgate bot runs as (in the bot's account)."
  type        = string
  default     = "patchgate-bot"
}

variable "bot_trusted_principals" {
  description = "Principals allowed to become the bot role, e.g. the ECS task role or an IRSA role ARN."
  type        = list(string)
  default     = []
}

variable "bot_role_arn" {
  description = "ARN of the bot role, for the tenant role's trust policy (tenant-account apply)."
  type        = string
  default     = ""
}

variable "tenant_role_name" {
  description = "Name of the cross-account role in each tenant account; providers.aws.role_name is arn:aws:iam::{account}:role/<this>."
  type        = string
  default     = "patchgate"
}

variable "create_bot_role" {
  description = "Create the bot role and the evidence bucket (bot-account apply)."
  type        = bool
  default     = true
}

variable "create_tenant_role" {
  description = "Create the cross-account role and the patch baseline (tenant-account apply)."
  type        = bool
  default     = false
}

variable "external_id" {
  description = "External ID the bot presents when assuming a tenant role (providers.aws.external_id)."
  type        = string
}

variable "evidence_bucket" {
  description = "S3 bucket for compliance reports (providers.aws.archive.bucket)."
  type        = string
  default     = ""
}

variable "object_lock" {
  description = "Enable S3 Object Lock (compliance mode) on the evidence bucket."
  type        = bool
  default     = false
}

variable "object_lock_days" {
  description = "Retention of locked evidence, in days."
  type        = number
  default     = 400
}

variable "patch_group" {
  description = "Patch group the baseline is registered for (providers.aws.patch.baseline.patch_group)."
  type        = string
  default     = "patchgate"
}

variable "operating_system" {
  description = "Operating system of the patch baseline."
  type        = string
  default     = "AMAZON_LINUX_2023"
}

variable "severities" {
  description = "SEVERITY filter of the baseline's approval rule."
  type        = list(string)
  default     = ["Critical", "High"]
}

variable "classifications" {
  description = "CLASSIFICATION filter of the baseline's approval rule."
  type        = list(string)
  default     = ["Security"]
}

variable "approve_after_days" {
  description = "Days after release a matching patch is approved."
  type        = number
  default     = 7
}

variable "sensor_document" {
  description = "Name of the SSM document that installs the Falcon sensor (edr.deploy.aws.document); empty: no sensor deployment grant."
  type        = string
  default     = ""
}

variable "sensor_install_command" {
  description = "Shell command the sensor document runs on an instance without the sensor to install its package (e.g. from an internal repository); the CID is set afterwards with falconctl."
  type        = string
  default     = "yum install -y falcon-sensor || apt-get install -y falcon-sensor"
}

variable "sensor_instance_tag_key" {
  description = "Tag key an instance must carry for patchgate to send it the sensor install."
  type        = string
  default     = "patchgate:sensor-deploy"
}

variable "sensor_instance_tag_value" {
  description = "Value of sensor_instance_tag_key that allows the sensor install."
  type        = string
  default     = "allowed"
}
