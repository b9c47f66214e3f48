# The role patchgate assumes in each tenant account: inventory, backups,
# patching and SAML provider reads, nothing else.
resource "aws_iam_role" "tenant" {
  count = var.create_tenant_role ? 1 : 0
  name  = var.tenant_role_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = var.bot_role_arn }
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  })
}

resource "aws_iam_role_policy" "tenant" {
  count  = var.create_tenant_role ? 1 : 0
  name   = "patchgate"
  role   = aws_iam_role.tenant[0].id
  policy = file("${path.module}/policy-tenant.json")
}
