resource "aws_vpclattice_service" "a" {
  provider = "aws.network"
  name     = "a"
}

resource "aws_vpclattice_service" "b" {
  provider = aws.network.extra
  name     = "b"
}
