variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "services" {
  type = any
}

resource "aws_vpclattice_service_network" "this" {
  name      = var.name
  auth_type = "NONE"
}

resource "aws_vpclattice_service" "this" {
  for_each = var.services

  name      = "${var.name}-${each.key}"
  auth_type = try(each.value.auth_type, "NONE")
  tags      = lookup(each.value, "tags", {})
}

resource "aws_vpclattice_service_network_service_association" "this" {
  for_each = aws_vpclattice_service.this

  service_identifier         = each.value.id
  service_network_identifier = aws_vpclattice_service_network.this.id
}

module "targets" {
  source   = "../targets"
  for_each = var.services

  prefix  = "${var.name}-${each.key}"
  vpc_id  = var.vpc_id
  targets = try(each.value.targets, {})
}

module "listeners" {
  source   = "../listeners"
  for_each = var.services

  service_id    = aws_vpclattice_service.this[each.key].id
  listeners     = try(each.value.listeners, {})
  target_groups = module.targets[each.key].target_group_ids
}

output "service_dns" {
  value = { for k, s in aws_vpclattice_service.this : k => s.dns_entry[0].domain_name }
}
