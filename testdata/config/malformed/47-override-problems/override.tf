resource "aws_vpclattice_service" "missing" {
  name = "x"
}

locals {
  nowhere = 1
}

moved {
  from = aws_vpclattice_service.a
  to   = aws_vpclattice_service.b
}

resource "aws_vpclattice_service" "orders" {
  count    = 1
  for_each = {}
}
