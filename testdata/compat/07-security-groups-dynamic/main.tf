provider "aws" {
  region = "us-east-1"
}

data "aws_region" "current" {}

data "aws_ec2_managed_prefix_list" "lattice" {
  name = "com.amazonaws.${data.aws_region.current.name}.vpc-lattice"
}

variable "cidr" {
  type    = string
  default = "10.70.0.0/16"
}

variable "ports" {
  type    = list(number)
  default = [80, 443]
}

variable "client_cidrs" {
  type    = list(string)
  default = ["10.70.0.0/20", "10.70.16.0/20"]
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = "compat-07" }
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 4, count.index)
  tags       = { Name = "compat-07-private-${count.index}" }
}

resource "aws_security_group" "lattice" {
  name        = "compat-07-lattice"
  description = "Lattice clients"
  vpc_id      = aws_vpc.this.id
}

locals {
  ingress = {
    for pair in setproduct(var.ports, var.client_cidrs) :
    "${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] }
  }
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each          = local.ingress
  security_group_id = aws_security_group.lattice.id
  description       = "port ${each.value.port} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "lattice" {
  for_each          = toset([for p in var.ports : tostring(p)])
  security_group_id = aws_security_group.lattice.id
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  prefix_list_id    = data.aws_ec2_managed_prefix_list.lattice.id
}

resource "aws_vpclattice_service_network" "this" {
  name = "compat-07"
}

resource "aws_vpclattice_service_network_vpc_association" "this" {
  vpc_identifier             = aws_vpc.this.id
  service_network_identifier = aws_vpclattice_service_network.this.id
  security_group_ids         = [aws_security_group.lattice.id]
  tags = {
    Subnets = join(",", aws_subnet.private[*].id)
  }
}
