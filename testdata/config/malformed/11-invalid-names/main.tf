resource "aws_vpclattice_service" "1orders" {
  name = "a"
}

resource "aws vpclattice" "b" {
  name = "b"
}

variable "has space" {}

provider "aws" {
  alias = "not valid"
}
