region = "eu-west-1"

resource "aws_vpclattice_service" "a" {
  name = "a"
}
