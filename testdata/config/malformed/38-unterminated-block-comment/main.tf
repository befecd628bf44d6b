resource "aws_vpclattice_service" "a" {
  name = "a"
}
/* this comment never ends
resource "aws_vpclattice_service" "b" {}
