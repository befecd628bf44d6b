# Service B is only called: a Lattice service with a listener, a target group of IP targets in
# its VPC, and its association with the shared network.

resource "aws_vpc" "b" {
  provider   = aws.service_b
  cidr_block = "10.2.0.0/16"
  tags       = { Name = "service-b" }
}

resource "aws_subnet" "b" {
  provider   = aws.service_b
  vpc_id     = aws_vpc.b.id
  cidr_block = "10.2.1.0/24"
}

data "aws_ec2_managed_prefix_list" "lattice_b" {
  provider = aws.service_b
  name     = "com.amazonaws.${var.region}.vpc-lattice"
}

# The targets accept traffic from VPC Lattice only.
resource "aws_security_group" "b_targets" {
  provider    = aws.service_b
  name        = "service-b-targets"
  description = "targets of service B, reached through VPC Lattice"
  vpc_id      = aws_vpc.b.id
}

resource "aws_vpc_security_group_ingress_rule" "b_from_lattice" {
  provider          = aws.service_b
  security_group_id = aws_security_group.b_targets.id
  ip_protocol       = "tcp"
  from_port         = 8080
  to_port           = 8080
  prefix_list_id    = data.aws_ec2_managed_prefix_list.lattice_b.id
}

resource "aws_ram_resource_share_accepter" "service_b" {
  provider  = aws.service_b
  share_arn = aws_ram_principal_association.service_b.resource_share_arn
}

resource "aws_vpclattice_service" "b" {
  provider           = aws.service_b
  name               = "service-b"
  auth_type          = "AWS_IAM"
  custom_domain_name = "b.${var.domain}"
}

resource "aws_vpclattice_target_group" "b" {
  provider = aws.service_b
  name     = "service-b"
  type     = "IP"
  config {
    vpc_identifier = aws_vpc.b.id
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_target_group_attachment" "b" {
  provider                = aws.service_b
  for_each                = toset(["10.2.1.10", "10.2.1.11"])
  target_group_identifier = aws_vpclattice_target_group.b.id
  target {
    id   = each.key
    port = 8080
  }
}

resource "aws_vpclattice_listener" "b" {
  provider           = aws.service_b
  name               = "http"
  protocol           = "HTTP"
  port               = var.service_b_port
  service_identifier = aws_vpclattice_service.b.id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.b.id
      }
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "b" {
  provider                   = aws.service_b
  service_identifier         = aws_vpclattice_service.b.arn
  service_network_identifier = local.shared_network_arn
  depends_on                 = [aws_ram_resource_share_accepter.service_b]
}
