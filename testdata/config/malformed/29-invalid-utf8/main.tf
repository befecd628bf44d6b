resource "aws_vpclattice_service" "a" {
  name = "café"
}
