locals {
  prefix = "mesh"
}

resource "aws_vpclattice_service" "a" {
  name = "${local.prefix}-a"
}
