variable "region" {
  type = string
}

resource "aws_vpclattice_service" "svc" {
  name = "a"
}
