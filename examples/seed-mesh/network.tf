# The network account: the service network, its auth policy, and the RAM share that lets the
# three service accounts use it.

resource "aws_vpclattice_service_network" "mesh" {
  provider  = aws.network
  name      = "seed-mesh"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_auth_policy" "mesh" {
  provider            = aws.network
  resource_identifier = aws_vpclattice_service_network.mesh.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = {
        AWS = [
          "arn:aws:iam::${var.accounts.service_a}:root",
          "arn:aws:iam::${var.accounts.service_b}:root",
          "arn:aws:iam::${var.accounts.service_c}:root",
        ]
      }
      Action   = "vpc-lattice-svcs:Invoke"
      Resource = "*"
    }]
  })
}

resource "aws_ram_resource_share" "mesh" {
  provider                  = aws.network
  name                      = "seed-mesh"
  allow_external_principals = true
}

resource "aws_ram_resource_association" "mesh" {
  provider           = aws.network
  resource_arn       = aws_vpclattice_service_network.mesh.arn
  resource_share_arn = aws_ram_resource_share.mesh.arn
}

resource "aws_ram_principal_association" "service_a" {
  provider           = aws.network
  principal          = var.accounts.service_a
  resource_share_arn = aws_ram_resource_share.mesh.arn
}

resource "aws_ram_principal_association" "service_b" {
  provider           = aws.network
  principal          = var.accounts.service_b
  resource_share_arn = aws_ram_resource_share.mesh.arn
}

resource "aws_ram_principal_association" "service_c" {
  provider           = aws.network
  principal          = var.accounts.service_c
  resource_share_arn = aws_ram_resource_share.mesh.arn
}

locals {
  # The network's ARN as the consumers use it. Naming it through the resource association
  # (not the network itself) makes every consumer association wait for the share to hold the
  # network, and be removed before the network leaves the share on destroy.
  shared_network_arn = aws_ram_resource_association.mesh.resource_arn
}
