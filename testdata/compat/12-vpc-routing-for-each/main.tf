terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = {
      Project = "compat-12"
    }
  }
}

variable "name" {
  type    = string
  default = "compat-12"
}

variable "cidr" {
  type    = string
  default = "10.120.0.0/16"
}

variable "subnets" {
  description = "Subnets by name: where they go and whether they are public."
  type = map(object({
    az     = string
    netnum = number
    public = optional(bool, false)
    tags   = optional(map(string), {})
  }))
  default = {
    "public-a"  = { az = "us-east-1a", netnum = 0, public = true }
    "public-b"  = { az = "us-east-1b", netnum = 1, public = true }
    "private-a" = { az = "us-east-1a", netnum = 10, tags = { Tier = "app" } }
    "private-b" = { az = "us-east-1b", netnum = 11 }
  }
}

variable "peer_routes" {
  description = "Extra destinations reached through the internet gateway, by AZ."
  type        = map(list(string))
  default = {
    "us-east-1a" = ["192.168.10.0/24"]
    "us-east-1b" = ["192.168.20.0/24", "192.168.21.0/24"]
  }
}

locals {
  azs = toset([for s in var.subnets : s.az])
  public_subnets = {
    for name, s in var.subnets : name => s if try(s.public, false)
  }
  private_routes = merge([
    for az in local.azs : {
      for cidr in lookup(var.peer_routes, az, []) : "${az}/${cidr}" => {
        az   = az
        cidr = cidr
      }
    }
  ]...)
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each                = var.subnets
  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.value.az
  cidr_block              = cidrsubnet(var.cidr, 8, each.value.netnum)
  map_public_ip_on_launch = try(each.value.public, false)
  tags = merge(
    { Name = "${var.name}-${each.key}" },
    lookup(each.value, "tags", {}),
  )
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = var.name }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table" "private" {
  for_each = local.azs
  vpc_id   = aws_vpc.this.id
  tags     = { Name = "${var.name}-private-${each.key}" }
}

resource "aws_route" "private" {
  for_each               = local.private_routes
  route_table_id         = aws_route_table.private[each.value.az].id
  destination_cidr_block = each.value.cidr
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "this" {
  for_each       = var.subnets
  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = contains(keys(local.public_subnets), each.key) ? aws_route_table.public.id : aws_route_table.private[each.value.az].id
}

resource "aws_security_group" "lattice" {
  name        = "${var.name}-lattice"
  description = "Lattice clients in ${var.name}"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpclattice_service_network" "this" {
  name      = var.name
  auth_type = "NONE"
}

resource "aws_vpclattice_service_network_vpc_association" "this" {
  vpc_identifier             = aws_vpc.this.id
  service_network_identifier = aws_vpclattice_service_network.this.id
  security_group_ids         = [aws_security_group.lattice.id]
}

output "public_route_table_id" {
  value = aws_route_table.public.id
}

output "private_route_ids" {
  value = { for k, r in aws_route.private : k => r.id }
}

output "associations" {
  value = length(aws_route_table_association.this)
}
