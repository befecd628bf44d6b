terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }

  backend "s3" {
    bucket = "mesh-state"
    key    = "lattice/terraform.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "network"
  region = var.region

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/network"
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "services" {
  type = map(object({
    port     = number
    protocol = optional(string, "HTTPS")
    paths    = optional(list(string), [])
  }))
}

locals {
  tags = {
    team       = "platform"
    managed_by = "trellis"
  }
  service_names = keys(var.services)
}

resource "aws_vpclattice_service_network" "mesh" {
  provider  = aws.network
  name      = "mesh"
  auth_type = "AWS_IAM"
  tags      = local.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_vpclattice_service" "svc" {
  for_each  = var.services
  name      = each.key
  auth_type = "AWS_IAM"
  tags      = merge(local.tags, { service = each.key })
}

resource "aws_vpclattice_service_network_service_association" "assoc" {
  for_each                   = aws_vpclattice_service.svc
  service_identifier         = each.value.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_target_group" "tg" {
  count = length(local.service_names)
  name  = "tg-${local.service_names[count.index]}"
  type  = "IP"

  config {
    port             = var.services[local.service_names[count.index]].port
    protocol         = "HTTPS"
    vpc_identifier   = data.aws_vpc.main.id
    ip_address_type  = "IPV4"

    health_check {
      enabled = true
      path    = "/health"
    }
  }
}

resource "aws_vpclattice_listener" "https" {
  for_each           = aws_vpclattice_service.svc
  name               = "https"
  protocol           = "HTTPS"
  service_identifier = each.value.id

  default_action {
    fixed_response {
      status_code = 404
    }
  }

  depends_on = [aws_vpclattice_service_network_service_association.assoc]
}

resource "aws_vpclattice_listener_rule" "paths" {
  for_each            = { for name, svc in var.services : name => svc if length(svc.paths) > 0 }
  name                = "paths-${each.key}"
  listener_identifier = aws_vpclattice_listener.https[each.key].listener_id
  service_identifier  = aws_vpclattice_service.svc[each.key].id
  priority            = 10

  match {
    http_match {
      dynamic "path_match" {
        for_each = each.value.paths
        iterator = p
        content {
          case_sensitive = false
          match {
            prefix = p.value
          }
        }
      }
    }
  }

  action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.tg[0].id
        weight                  = 100
      }
    }
  }
}

resource "aws_vpclattice_auth_policy" "svc" {
  for_each            = aws_vpclattice_service.svc
  resource_identifier = each.value.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "vpc-lattice-svcs:Invoke"
      Resource  = "*"
    }]
  })
}

data "aws_vpc" "main" {
  provider = aws.network
  default  = true
}

data "aws_caller_identity" "current" {}

output "service_arns" {
  description = "ARN of every service"
  value       = { for k, s in aws_vpclattice_service.svc : k => s.arn }
}

output "network_id" {
  value      = aws_vpclattice_service_network.mesh.id
  sensitive  = true
  depends_on = [aws_vpclattice_service_network_service_association.assoc]
}
