resource "aws_vpclattice_service" "a" {
  name = "a"
}

resource "aws_vpclattice_service" "a" {
  name = "again"
}

data "aws_region" "r" {}
data "aws_region" "r" {}
