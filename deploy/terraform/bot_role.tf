# The bot's own identity: assumes the tenant roles, writes evidence, reads
# IAM Identity Center for the access report.
resource "aws_iam_role" "bot" {
  count = var.create_bot_role ? 1 : 0
  name  = var.bot_role_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = var.bot_trusted_principals }
    }]
  })
}

resource "aws_iam_role_policy" "bot" {
  count = var.create_bot_role ? 1 : 0
  name  = "patchgate-bot"
  role  = aws_iam_role.bot[0].id
  policy = templatefile("${path.module}/policy-bot.json", {
    partition   = data.aws_partition.current.partition
    tenant_role = var.tenant_role_name
    bucket      = var.evidence_bucket
    kms_key_arn = var.create_bot_role ? aws_kms_key.evidence[0].arn : ""
  })
}
