# Compliance evidence: versioned, SSE-KMS, public access blocked, TLS only,
# optionally under Object Lock.
resource "aws_kms_key" "evidence" {
  count               = var.create_bot_role ? 1 : 0
  description         = "patchgate evidence archive"
  enable_key_rotation = true
}

resource "aws_kms_alias" "evidence" {
  count         = var.create_bot_role ? 1 : 0
  name          = "alias/patchgate-evidence"
  target_key_id = aws_kms_key.evidence[0].key_id
}

resource "aws_s3_bucket" "evidence" {
  count               = var.create_bot_role ? 1 : 0
  bucket              = var.evidence_bucket
  object_lock_enabled = var.object_lock
}

resource "aws_s3_bucket_versioning" "evidence" {
  count  = var.create_bot_role ? 1 : 0
  bucket = aws_s3_bucket.evidence[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "evidence" {
  count  = var.create_bot_role ? 1 : 0
  bucket = aws_s3_bucket.evidence[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.evidence[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "evidence" {
  count                   = var.create_bot_role ? 1 : 0
  bucket                  = aws_s3_bucket.evidence[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "evidence_tls_only" {
  count  = var.create_bot_role ? 1 : 0
  bucket = aws_s3_bucket.evidence[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.evidence[0].arn, "${aws_s3_bucket.evidence[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket_object_lock_configuration" "evidence" {
  count  = var.create_bot_role && var.object_lock ? 1 : 0
  bucket = aws_s3_bucket.evidence[0].id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = var.object_lock_days
    }
  }
}
