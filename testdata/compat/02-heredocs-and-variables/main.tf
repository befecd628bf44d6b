provider "aws" {
  region = "us-east-1"
}

locals {
  tags = merge({ Environment = "test" }, var.extra_tags == null ? {} : var.extra_tags)
}

resource "aws_vpclattice_service_network" "this" {
  name      = var.network_name
  auth_type = "AWS_IAM"
  tags      = local.tags
}

resource "aws_vpclattice_auth_policy" "network" {
  resource_identifier = aws_vpclattice_service_network.this.arn
  policy              = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::${var.allowed_account}:root"
      },
      "Action": "vpc-lattice-svcs:Invoke",
      "Resource": "*"
    }
  ]
}
EOF
}

resource "aws_vpclattice_resource_policy" "network" {
  resource_arn = aws_vpclattice_service_network.this.arn
  policy = templatefile("${path.module}/templates/share-policy.json.tftpl", {
    network_arn = aws_vpclattice_service_network.this.arn
    accounts    = [var.allowed_account]
  })
}

resource "aws_vpclattice_service" "this" {
  for_each  = var.services
  name      = each.key
  auth_type = each.value.auth_type
  tags      = merge(local.tags, each.value.tags)
}

resource "aws_vpclattice_listener" "this" {
  for_each           = var.services
  name               = lower(each.value.protocol)
  protocol           = each.value.protocol
  port               = each.value.port
  service_identifier = aws_vpclattice_service.this[each.key].id

  default_action {
    fixed_response {
      status_code = 503
    }
  }
}

output "network_arn" {
  description = <<-EOT
    The ARN of the service network, for
    the consumer accounts.
  EOT
  value       = aws_vpclattice_service_network.this.arn
}

output "policy" {
  value     = aws_vpclattice_auth_policy.network.policy
  sensitive = true
}
