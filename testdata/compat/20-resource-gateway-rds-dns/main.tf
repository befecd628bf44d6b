terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type        = string
  default     = "orders-data"
  description = <<-EOT
    Prefix of every name in this module: the resource gateway, its
    security group and the resource configurations.
  EOT
}

variable "databases" {
  description = "RDS-style endpoints reached through the service network, by DNS name"
  type = map(object({
    endpoint = string
    port     = optional(number)
    ip_type  = optional(string)
    tags     = optional(map(string))
  }))
  default = {
    writer = {
      endpoint = "orders.cluster-c1a2b3.us-east-1.rds.amazonaws.com"
      port     = 5432
      tags     = { role = "writer" }
    }
    reader = {
      endpoint = "orders.cluster-ro-c1a2b3.us-east-1.rds.amazonaws.com"
      port     = 5432
    }
    cache = {
      endpoint = "orders-cache.abc123.use1.cache.amazonaws.com"
      port     = 6379
      ip_type  = "IPV4"
    }
  }
}

locals {
  tags = {
    service    = var.name
    managed_by = "trellis"
  }
  subnets = {
    a = "10.42.1.0/24"
    b = "10.42.2.0/24"
  }
}

resource "aws_vpc" "data" {
  cidr_block = "10.42.0.0/16"
  tags       = merge(local.tags, { Name = "${var.name}-vpc" })
}

resource "aws_subnet" "data" {
  for_each   = local.subnets
  vpc_id     = aws_vpc.data.id
  cidr_block = each.value
  tags       = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_security_group" "gateway" {
  name        = "${var.name}-gateway"
  description = "Resource gateway of ${var.name}"
  vpc_id      = aws_vpc.data.id
}

resource "aws_vpclattice_resource_gateway" "this" {
  name               = "${var.name}-gw"
  vpc_id             = aws_vpc.data.id
  subnet_ids         = [for s in aws_subnet.data : s.id]
  security_group_ids = [aws_security_group.gateway.id]
  tags               = local.tags
}

resource "aws_vpclattice_service_network" "this" {
  name      = "${var.name}-network"
  auth_type = "NONE"
  tags      = local.tags
}

resource "aws_vpclattice_resource_configuration" "db" {
  for_each = var.databases

  name                        = "${var.name}-${each.key}"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.this.id
  port_ranges                 = [tostring(try(each.value.port, 5432))]

  resource_configuration_definition {
    dns_resource {
      domain_name     = each.value.endpoint
      ip_address_type = coalesce(lookup(each.value, "ip_type", null), "IPV4")
    }
  }

  tags = merge(local.tags, try(each.value.tags, null) == null ? {} : each.value.tags)
}

resource "aws_vpclattice_service_network_resource_association" "db" {
  for_each = aws_vpclattice_resource_configuration.db

  resource_configuration_identifier = each.value.id
  service_network_identifier        = aws_vpclattice_service_network.this.id
  tags                              = local.tags
}

output "endpoints" {
  value = { for k, a in aws_vpclattice_service_network_resource_association.db : k => a.dns_entry[0].domain_name }
}
