# A one-account VPC Lattice mesh: a service network, two services with listeners, target
# groups with IP targets, service and VPC associations, and an auth policy.
#
# Against the local emulator (see docs/testing.md):
#   trellis plan  -var vpc_id=vpc-...    # a VPC that exists in the emulator's EC2
#   trellis apply -auto-approve -var vpc_id=vpc-...

variable "vpc_id" {
  type        = string
  description = "the VPC that the target groups and the VPC association use"
  default     = "vpc-00000000000000000"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  region      = var.region
  max_retries = 10
  default_tags {
    tags = { managed-by = "trellis", example = "quickstart" }
  }
}

resource "aws_vpclattice_service_network" "mesh" {
  name      = "quickstart-mesh"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_auth_policy" "mesh" {
  resource_identifier = aws_vpclattice_service_network.mesh.arn
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

resource "aws_vpclattice_service_network_vpc_association" "clients" {
  vpc_identifier             = var.vpc_id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

locals {
  services = {
    orders  = ["10.0.1.10", "10.0.1.11"]
    billing = ["10.0.2.10"]
  }
}

resource "aws_vpclattice_service" "svc" {
  for_each  = local.services
  name      = each.key
  auth_type = "NONE"
}

resource "aws_vpclattice_target_group" "svc" {
  for_each = local.services
  name     = "${each.key}-ip"
  type     = "IP"
  config {
    vpc_identifier = var.vpc_id
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_listener" "http" {
  for_each           = local.services
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.svc[each.key].id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.svc[each.key].id
      }
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "svc" {
  for_each                   = local.services
  service_identifier         = aws_vpclattice_service.svc[each.key].id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_target_group_attachment" "orders" {
  for_each                = toset(local.services.orders)
  target_group_identifier = aws_vpclattice_target_group.svc["orders"].id
  target {
    id   = each.key
    port = 8080
  }
}

resource "aws_vpclattice_target_group_attachment" "billing" {
  for_each                = toset(local.services.billing)
  target_group_identifier = aws_vpclattice_target_group.svc["billing"].id
  target {
    id   = each.key
    port = 8080
  }
}

output "service_dns" {
  value = { for k, s in aws_vpclattice_service.svc : k => s.dns_entry[0].domain_name }
}
