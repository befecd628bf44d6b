provider "aws" {
  region = "us-east-1"
}

variable "environment" {
  default = "staging"
}

locals {
  common_tags = {
    environment = var.environment
    purpose     = "lattice-access-logs"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket_prefix = "mesh-logs-"
  force_destroy = true
  tags          = merge(local.common_tags, { name = "access-logs" })
}

resource "aws_vpclattice_service_network" "mesh" {
  name = "mesh-${var.environment}"
  tags = local.common_tags
}

resource "aws_vpclattice_access_log_subscription" "mesh" {
  resource_identifier = aws_vpclattice_service_network.mesh.arn
  destination_arn     = aws_s3_bucket.logs.arn
  tags                = local.common_tags
}

output "bucket" {
  value = aws_s3_bucket.logs.bucket
}
