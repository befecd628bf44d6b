# Service A only calls others: its VPC joins the network as a client, and a private zone in
# its account names the services it calls. With service_a_serves = true it also serves.

resource "aws_vpc" "a" {
  provider             = aws.service_a
  cidr_block           = "10.1.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "service-a" }
}

resource "aws_subnet" "a" {
  provider   = aws.service_a
  vpc_id     = aws_vpc.a.id
  cidr_block = "10.1.1.0/24"
}

data "aws_ec2_managed_prefix_list" "lattice_a" {
  provider = aws.service_a
  name     = "com.amazonaws.${var.region}.vpc-lattice"
}

# Traffic from the VPC into the network passes this group (it is on the VPC association).
resource "aws_security_group" "a_clients" {
  provider    = aws.service_a
  name        = "service-a-lattice-clients"
  description = "workloads of service A that call the mesh"
  vpc_id      = aws_vpc.a.id
}

resource "aws_vpc_security_group_ingress_rule" "a_clients_http" {
  provider          = aws.service_a
  security_group_id = aws_security_group.a_clients.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = aws_vpc.a.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "a_to_lattice" {
  provider          = aws.service_a
  security_group_id = aws_security_group.a_clients.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  prefix_list_id    = data.aws_ec2_managed_prefix_list.lattice_a.id
}

resource "aws_ram_resource_share_accepter" "service_a" {
  provider  = aws.service_a
  share_arn = aws_ram_principal_association.service_a.resource_share_arn
}

resource "aws_vpclattice_service_network_vpc_association" "a" {
  provider                   = aws.service_a
  vpc_identifier             = aws_vpc.a.id
  service_network_identifier = local.shared_network_arn
  security_group_ids         = [aws_security_group.a_clients.id]
  depends_on                 = [aws_ram_resource_share_accepter.service_a]
}

# Only when Service A is a server too.
resource "aws_vpclattice_service" "a" {
  provider           = aws.service_a
  count              = var.service_a_serves ? 1 : 0
  name               = "service-a"
  auth_type          = "AWS_IAM"
  custom_domain_name = "a.${var.domain}"
}

resource "aws_vpclattice_service_network_service_association" "a" {
  provider                   = aws.service_a
  count                      = var.service_a_serves ? 1 : 0
  service_identifier         = aws_vpclattice_service.a[0].arn
  service_network_identifier = local.shared_network_arn
  depends_on                 = [aws_ram_resource_share_accepter.service_a]
}

resource "aws_route53_zone" "a" {
  provider = aws.service_a
  name     = var.domain
  comment  = "custom names of the mesh's services, for service A"
  vpc {
    vpc_id = aws_vpc.a.id
  }
}

resource "aws_route53_record" "a" {
  provider = aws.service_a
  for_each = local.served
  zone_id  = aws_route53_zone.a.zone_id
  name     = each.value.custom_domain_name
  type     = "CNAME"
  ttl      = 300
  records  = [each.value.dns_entry[0].domain_name]
}
