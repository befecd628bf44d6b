module "label" {
  source  = "aws-ia/label/aws"
  version = "0.0.2"

  name = try(var.service_network.name, "lattice")
  tags = var.tags
}

resource "aws_vpclattice_service_network" "this" {
  count = length(var.service_network) > 0 ? 1 : 0

  name      = module.label.id
  auth_type = try(var.service_network.auth_type, "AWS_IAM")
  tags      = module.label.tags
}

resource "aws_vpclattice_service" "this" {
  for_each = var.services

  name      = each.value.name
  auth_type = try(each.value.auth_type, "AWS_IAM")
  tags      = merge(module.label.tags, { Release = "0.1.0" })
}

resource "aws_vpclattice_service_network_service_association" "this" {
  for_each = length(var.service_network) > 0 ? var.services : {}

  service_identifier         = aws_vpclattice_service.this[each.key].arn
  service_network_identifier = aws_vpclattice_service_network.this[0].arn
  tags                       = module.label.tags
}
