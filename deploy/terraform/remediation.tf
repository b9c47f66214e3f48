# Event-driven remediation intake (issue 19). In each tenant account the
# managed Config rule flags instances whose SSM patch compliance is
# NON_COMPLIANT and an EventBridge rule forwards its compliance changes to
# the bot account's default event bus; there a rule puts them on the
# intake queue the bot long-polls. Poison messages move to the dead-letter
# queue after remediation_max_receives receives. Both queues are encrypted.

variable "create_remediation_intake" {
  description = "Create the remediation intake: queue, dead-letter queue and EventBridge rule (bot-account apply), or the Config rule and the forwarding rule (tenant-account apply)."
  type        = bool
  default     = false
}

variable "remediation_extra_rules" {
  description = "Config rules besides ec2-managedinstance-patch-compliance-status-check (which this module creates) whose compliance changes start remediations, as rule name => rule ARN (a rule's ARN ends in its generated config-rule ID, so it is given, not derived; `aws configservice describe-config-rules` shows it). The EventBridge rules match these names and the tenant role may re-evaluate and read exactly these ARNs. List every name in remediation.rules too."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for arn in values(var.remediation_extra_rules) : can(regex("^arn:[^:]+:config:[^:]+:[0-9]{12}:config-rule/config-rule-[a-z0-9]+$", arn))])
    error_message = "Each value of remediation_extra_rules is a Config rule ARN (arn:aws:config:<region>:<account>:config-rule/config-rule-<id>)."
  }
}

variable "remediation_max_receives" {
  description = "Receives of one message before the redrive policy moves it to the dead-letter queue."
  type        = number
  default     = 5
}

variable "tenant_account_ids" {
  description = "Tenant accounts allowed to put compliance events on the bot account's default event bus (bot-account apply)."
  type        = list(string)
  default     = []
}

variable "bot_account_id" {
  description = "The bot's account, whose default event bus receives the compliance events (tenant-account apply)."
  type        = string
  default     = ""
}

locals {
  intake_bot    = var.create_remediation_intake && var.create_bot_role
  intake_tenant = var.create_remediation_intake && var.create_tenant_role
  # remediation.rules: the rule created below and the extra ones.
  remediation_rules = distinct(concat(["ec2-managedinstance-patch-compliance-status-check"], keys(var.remediation_extra_rules)))
  compliance_pattern = jsonencode({
    source        = ["aws.config"]
    "detail-type" = ["Config Rules Compliance Change"]
    detail = {
      messageType    = ["ComplianceChangeNotification"]
      configRuleName = local.remediation_rules
    }
  })
}

# --- bot account -----------------------------------------------------------

resource "aws_sqs_queue" "intake_dlq" {
  count                     = local.intake_bot ? 1 : 0
  name                      = "patchgate-intake-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "intake" {
  count                      = local.intake_bot ? 1 : 0
  name                       = "patchgate-intake"
  sqs_managed_sse_enabled    = true
  receive_wait_time_seconds  = 20
  visibility_timeout_seconds = 120
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.intake_dlq[0].arn
    maxReceiveCount     = var.remediation_max_receives
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "intake_dlq" {
  count     = local.intake_bot ? 1 : 0
  queue_url = aws_sqs_queue.intake_dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.intake[0].arn]
  })
}

resource "aws_cloudwatch_event_bus_policy" "tenants" {
  count          = local.intake_bot && length(var.tenant_account_ids) > 0 ? 1 : 0
  event_bus_name = "default"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TenantComplianceEvents"
      Effect    = "Allow"
      Action    = "events:PutEvents"
      Principal = { AWS = [for a in var.tenant_account_ids : "arn:${data.aws_partition.current.partition}:iam::${a}:root"] }
      Resource  = "arn:${data.aws_partition.current.partition}:events:*:${data.aws_caller_identity.current.account_id}:event-bus/default"
    }]
  })
}

resource "aws_cloudwatch_event_rule" "compliance_to_intake" {
  count         = local.intake_bot ? 1 : 0
  name          = "patchgate-config-compliance"
  description   = "Config compliance changes of the patch rules, to the patchgate intake queue."
  event_pattern = local.compliance_pattern
}

resource "aws_cloudwatch_event_target" "intake" {
  count     = local.intake_bot ? 1 : 0
  rule      = aws_cloudwatch_event_rule.compliance_to_intake[0].name
  target_id = "patchgate-intake"
  arn       = aws_sqs_queue.intake[0].arn
}

resource "aws_sqs_queue_policy" "intake" {
  count     = local.intake_bot ? 1 : 0
  queue_url = aws_sqs_queue.intake[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRule"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.intake[0].arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.compliance_to_intake[0].arn } }
    }]
  })
}

# The bot reads and deletes on this queue only (policy-intake.json).
resource "aws_iam_role_policy" "bot_intake" {
  count = local.intake_bot ? 1 : 0
  name  = "patchgate-intake"
  role  = aws_iam_role.bot[0].id
  policy = templatefile("${path.module}/policy-intake.json", {
    queue_arn = aws_sqs_queue.intake[0].arn
  })
}

# --- tenant account --------------------------------------------------------

resource "aws_config_config_rule" "patch_compliance" {
  count = local.intake_tenant ? 1 : 0
  name  = "ec2-managedinstance-patch-compliance-status-check"
  source {
    owner             = "AWS"
    source_identifier = "EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK"
  }
  scope {
    compliance_resource_types = ["AWS::SSM::PatchCompliance"]
  }
}

# After a remediation patches, the bot (through the tenant role) asks the
# rules to evaluate again and reads their verdicts: the calls of
# policy-remediation-tenant.json are granted on those rules' ARNs alone.
locals {
  remediation_tenant_policy = jsondecode(file("${path.module}/policy-remediation-tenant.json"))
  remediation_rule_arns     = local.intake_tenant ? concat([aws_config_config_rule.patch_compliance[0].arn], values(var.remediation_extra_rules)) : []
}

resource "aws_iam_role_policy" "tenant_remediation" {
  count = local.intake_tenant ? 1 : 0
  name  = "patchgate-remediation"
  role  = aws_iam_role.tenant[0].id
  policy = jsonencode(merge(local.remediation_tenant_policy, {
    Statement = [for st in local.remediation_tenant_policy.Statement : merge(st, { Resource = local.remediation_rule_arns })]
  }))
}

resource "aws_iam_role" "forward_compliance" {
  count = local.intake_tenant ? 1 : 0
  name  = "patchgate-forward-compliance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "events.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "forward_compliance" {
  count = local.intake_tenant ? 1 : 0
  name  = "put-on-bot-bus"
  role  = aws_iam_role.forward_compliance[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "events:PutEvents"
      Resource = "arn:${data.aws_partition.current.partition}:events:*:${var.bot_account_id}:event-bus/default"
    }]
  })
}

resource "aws_cloudwatch_event_rule" "forward_compliance" {
  count         = local.intake_tenant ? 1 : 0
  name          = "patchgate-forward-config-compliance"
  description   = "Config compliance changes of the patch rules, to the patchgate bot account."
  event_pattern = local.compliance_pattern
}

resource "aws_cloudwatch_event_target" "bot_bus" {
  count     = local.intake_tenant ? 1 : 0
  rule      = aws_cloudwatch_event_rule.forward_compliance[0].name
  target_id = "patchgate-bot-bus"
  arn       = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${var.bot_account_id}:event-bus/default"
  role_arn  = aws_iam_role.forward_compliance[0].arn
}

output "remediation_queue_url" {
  description = "remediation.queue_url"
  value       = local.intake_bot ? aws_sqs_queue.intake[0].id : ""
}

output "remediation_dlq_url" {
  description = "remediation.dlq_url"
  value       = local.intake_bot ? aws_sqs_queue.intake_dlq[0].id : ""
}
