resource "aws_vpclattice_service" "a" {
  name = "a"

resource "aws_vpclattice_service" "b" {
  name = "b"
}
