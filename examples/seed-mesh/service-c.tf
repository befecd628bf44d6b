# Service C both calls and is called: a Lattice service joined to the network, and its VPC
# joined as a client, with its own private zone for the services' custom names.

resource "aws_vpc" "c" {
  provider             = aws.service_c
  cidr_block           = "10.3.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "service-c" }
}

resource "aws_subnet" "c" {
  provider   = aws.service_c
  vpc_id     = aws_vpc.c.id
  cidr_block = "10.3.1.0/24"
}

data "aws_ec2_managed_prefix_list" "lattice_c" {
  provider = aws.service_c
  name     = "com.amazonaws.${var.region}.vpc-lattice"
}

resource "aws_security_group" "c_targets" {
  provider    = aws.service_c
  name        = "service-c-targets"
  description = "targets of service C, reached through VPC Lattice"
  vpc_id      = aws_vpc.c.id
}

resource "aws_vpc_security_group_ingress_rule" "c_from_lattice" {
  provider          = aws.service_c
  security_group_id = aws_security_group.c_targets.id
  ip_protocol       = "tcp"
  from_port         = 8080
  to_port           = 8080
  prefix_list_id    = data.aws_ec2_managed_prefix_list.lattice_c.id
}

resource "aws_security_group" "c_clients" {
  provider    = aws.service_c
  name        = "service-c-lattice-clients"
  description = "workloads of service C that call the mesh"
  vpc_id      = aws_vpc.c.id
}

resource "aws_vpc_security_group_ingress_rule" "c_clients_http" {
  provider          = aws.service_c
  security_group_id = aws_security_group.c_clients.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = aws_vpc.c.cidr_block
}

resource "aws_ram_resource_share_accepter" "service_c" {
  provider  = aws.service_c
  share_arn = aws_ram_principal_association.service_c.resource_share_arn
}

resource "aws_vpclattice_service" "c" {
  provider           = aws.service_c
  name               = "service-c"
  auth_type          = "AWS_IAM"
  custom_domain_name = "c.${var.domain}"
}

resource "aws_vpclattice_target_group" "c" {
  provider = aws.service_c
  name     = "service-c"
  type     = "IP"
  config {
    vpc_identifier = aws_vpc.c.id
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_target_group_attachment" "c" {
  provider                = aws.service_c
  target_group_identifier = aws_vpclattice_target_group.c.id
  target {
    id   = "10.3.1.10"
    port = 8080
  }
}

resource "aws_vpclattice_listener" "c" {
  provider           = aws.service_c
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.c.id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.c.id
      }
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "c" {
  provider                   = aws.service_c
  service_identifier         = aws_vpclattice_service.c.arn
  service_network_identifier = local.shared_network_arn
  depends_on                 = [aws_ram_resource_share_accepter.service_c]
}

resource "aws_vpclattice_service_network_vpc_association" "c" {
  provider                   = aws.service_c
  vpc_identifier             = aws_vpc.c.id
  service_network_identifier = local.shared_network_arn
  security_group_ids         = [aws_security_group.c_clients.id]
  depends_on                 = [aws_ram_resource_share_accepter.service_c]
}

resource "aws_route53_zone" "c" {
  provider = aws.service_c
  name     = var.domain
  comment  = "custom names of the mesh's services, for service C"
  vpc {
    vpc_id = aws_vpc.c.id
  }
}

# Alias records here (CNAMEs in service A's zone): both point at the service's dns_entry.
resource "aws_route53_record" "c" {
  provider = aws.service_c
  for_each = local.served
  zone_id  = aws_route53_zone.c.zone_id
  name     = each.value.custom_domain_name
  type     = "A"
  alias {
    name                   = each.value.dns_entry[0].domain_name
    zone_id                = each.value.dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}
