provider "aws" {
  region = "us-east-1"
}

variable "prefix" {
  type    = string
  default = "ledger"
}

variable "replicas" {
  type = map(object({
    ip    = string
    ports = optional(list(string))
  }))
  default = {
    r1 = { ip = "10.43.1.21" }
    r2 = { ip = "10.43.1.22", ports = ["5432", "9187"] }
  }
}

variable "primary" {
  type = object({
    ip    = optional(string)
    dns   = optional(string)
    ports = list(string)
  })
  default = {
    ip    = "10.43.1.10"
    ports = ["5432", "8000-8010"]
  }
}

variable "rds_arn" {
  type    = string
  default = "arn:aws:rds:us-east-1:123456789012:db:ledger-primary"
}

locals {
  default_ports = ["5432"]
  associated = {
    primary = "single"
    pool    = "group"
  }
}

resource "aws_vpc" "db" {
  cidr_block = "10.43.0.0/16"
}

resource "aws_subnet" "db" {
  vpc_id     = aws_vpc.db.id
  cidr_block = "10.43.1.0/24"
}

resource "aws_vpclattice_resource_gateway" "db" {
  name            = "${var.prefix}-gw"
  vpc_id          = aws_vpc.db.id
  subnet_ids      = [aws_subnet.db.id]
  ip_address_type = "IPV4"
}

resource "aws_vpclattice_resource_configuration" "single" {
  name                        = "${var.prefix}-primary"
  type                        = "SINGLE"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id
  port_ranges                 = var.primary.ports
  protocol                    = "TCP"

  resource_configuration_definition {
    dynamic "ip_resource" {
      for_each = try(var.primary.ip, null) == null ? [] : [var.primary.ip]
      content {
        ip_address = ip_resource.value
      }
    }
    dynamic "dns_resource" {
      for_each = try(var.primary.dns, null) == null ? [] : [var.primary.dns]
      content {
        domain_name     = dns_resource.value
        ip_address_type = "IPV4"
      }
    }
  }
}

resource "aws_vpclattice_resource_configuration" "group" {
  name                        = "${var.prefix}-replicas"
  type                        = "GROUP"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id
  port_ranges                 = ["1-65535"]
}

resource "aws_vpclattice_resource_configuration" "replica" {
  for_each = var.replicas

  name                            = "${var.prefix}-${each.key}"
  type                            = "CHILD"
  resource_configuration_group_id = aws_vpclattice_resource_configuration.group.id
  port_ranges                     = coalesce(lookup(each.value, "ports", null), local.default_ports)

  resource_configuration_definition {
    ip_resource {
      ip_address = each.value.ip
    }
  }
}

resource "aws_vpclattice_resource_configuration" "rds" {
  name                        = "${var.prefix}-rds"
  type                        = "ARN"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id

  resource_configuration_definition {
    arn_resource {
      arn = var.rds_arn
    }
  }
}

resource "aws_vpclattice_service_network" "consumers" {
  name = "${var.prefix}-consumers"
}

resource "aws_vpclattice_service_network_resource_association" "this" {
  for_each = local.associated

  resource_configuration_identifier = each.value == "group" ? aws_vpclattice_resource_configuration.group.id : aws_vpclattice_resource_configuration.single.id
  service_network_identifier        = aws_vpclattice_service_network.consumers.id
}
