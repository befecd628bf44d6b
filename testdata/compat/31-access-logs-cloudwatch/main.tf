provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { managed_by = "trellis" }
  }
}

variable "network_name" {
  default = "shop-mesh"
}

variable "services" {
  default = {
    orders = { retention = 30 }
    search = {}
  }
}

locals {
  log_prefix = "/aws/vpclattice/${var.network_name}"
}

resource "aws_vpclattice_service_network" "mesh" {
  name = var.network_name
}

resource "aws_vpclattice_service" "svc" {
  for_each = var.services
  name     = each.key
}

resource "aws_cloudwatch_log_group" "svc" {
  for_each          = var.services
  name              = "${local.log_prefix}/${each.key}"
  retention_in_days = try(each.value.retention, 14)
  tags = {
    service = each.key
  }
}

resource "aws_cloudwatch_log_group" "network" {
  name_prefix       = "mesh-"
  retention_in_days = lookup(var.services["orders"], "retention", 7)
}

resource "aws_vpclattice_access_log_subscription" "svc" {
  for_each            = var.services
  resource_identifier = aws_vpclattice_service.svc[each.key].id
  destination_arn     = aws_cloudwatch_log_group.svc[each.key].arn
}

resource "aws_vpclattice_access_log_subscription" "network" {
  resource_identifier = aws_vpclattice_service_network.mesh.id
  destination_arn     = aws_cloudwatch_log_group.network.arn
}
