locals {
  consumers = { for name, id in var.accounts : name => id if name != "network" }
}

resource "aws_vpclattice_service_network" "shared" {
  provider  = aws.network
  name      = "compat-05-shared"
  auth_type = "NONE"
}

resource "aws_ram_resource_share" "network" {
  provider                  = aws.network
  name                      = "compat-05-service-network"
  allow_external_principals = true
  tags = {
    Purpose = "lattice"
  }
}

resource "aws_ram_resource_association" "network" {
  provider           = aws.network
  resource_arn       = aws_vpclattice_service_network.shared.arn
  resource_share_arn = aws_ram_resource_share.network.arn
}

resource "aws_ram_principal_association" "consumer" {
  provider           = aws.network
  for_each           = local.consumers
  principal          = each.value
  resource_share_arn = aws_ram_resource_share.network.arn
}

resource "aws_ram_resource_share_accepter" "consumer" {
  provider  = aws.consumer
  share_arn = aws_ram_principal_association.consumer["consumer"].resource_share_arn
}

resource "aws_vpc" "consumer" {
  provider   = aws.consumer
  cidr_block = "10.20.0.0/16"
}

resource "aws_vpclattice_service_network_vpc_association" "consumer" {
  provider                   = aws.consumer
  vpc_identifier             = aws_vpc.consumer.id
  service_network_identifier = aws_ram_resource_association.network.resource_arn
  depends_on                 = [aws_ram_resource_share_accepter.consumer]
}

output "association" {
  value = aws_vpclattice_service_network_vpc_association.consumer.id
}
