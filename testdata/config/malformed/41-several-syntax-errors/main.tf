resource "aws_vpclattice_service" "a" {
  name = "unterminated
}

resource "aws_vpclattice_service" "b" {
  name = 1 +* 2
}

resource "aws_vpclattice_service" "ok" {
  name = "ok"
}

resource "aws_vpclattice_service" "ok" {
  name = "duplicate, still found after the syntax errors"
}

locals {
  list = [1, 2
}
