resource "aws_vpclattice_service" "a" {
  name = "a"
  name = "b"
}
