# The Falcon sensor install patchgate's sensor deployment runbook sends
# (edr.deploy.aws), and the grant to send it: ssm:SendCommand on this one
# document and on instances carrying the deploy tag. IAM joins this with
# policy-tenant.json's PatchCommand, which allows every instance, so the
# tag does not narrow the instances alone (docs/SENSOR_DEPLOY.md). The command carries only the names of the SecureString parameters
# holding the CID and the installer token; the instance reads them with its
# own instance profile (ssm:GetParameter on those names and kms:Decrypt on
# their key), so patchgate never holds them and SSM never logs them.
# Progress is read with ssm:ListCommands and ssm:GetCommandInvocation,
# already granted by policy-tenant.json (Patching).

resource "aws_ssm_document" "falcon_install" {
  count           = var.create_tenant_role && var.sensor_document != "" ? 1 : 0
  name            = var.sensor_document
  document_type   = "Command"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "2.2"
    description   = "Install or upgrade the CrowdStrike Falcon sensor (patchgate sensor deployment)"
    parameters = {
      CIDParameterName          = { type = "String", description = "SecureString parameter holding the Falcon CID" }
      InstallTokenParameterName = { type = "String", default = "", description = "SecureString parameter holding the installer token" }
    }
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "install"
      inputs = {
        runCommand = [
          "set -eu",
          "CID=$(aws ssm get-parameter --with-decryption --name '{{CIDParameterName}}' --query Parameter.Value --output text)",
          "TOKEN=''; if [ -n '{{InstallTokenParameterName}}' ]; then TOKEN=$(aws ssm get-parameter --with-decryption --name '{{InstallTokenParameterName}}' --query Parameter.Value --output text); fi",
          "if [ ! -x /opt/CrowdStrike/falconctl ]; then ${var.sensor_install_command}; fi",
          "/opt/CrowdStrike/falconctl -s -f --cid=\"$CID\" $${TOKEN:+--provisioning-token=\"$TOKEN\"}",
          "systemctl restart falcon-sensor",
        ]
      }
    }]
  })
}

resource "aws_iam_role_policy" "sensor_deploy" {
  count = var.create_tenant_role && var.sensor_document != "" ? 1 : 0
  name  = "patchgate-sensor-deploy"
  role  = aws_iam_role.tenant[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "SensorDocument"
        Effect   = "Allow"
        Action   = ["ssm:SendCommand"]
        Resource = ["arn:aws:ssm:*:*:document/${var.sensor_document}"]
      },
      {
        Sid      = "SensorInstances"
        Effect   = "Allow"
        Action   = ["ssm:SendCommand"]
        Resource = ["arn:aws:ec2:*:*:instance/*"]
        Condition = {
          StringEquals = { "ssm:resourceTag/${var.sensor_instance_tag_key}" = var.sensor_instance_tag_value }
        }
      },
    ]
  })
}
