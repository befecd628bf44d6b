variable "count" {}

resource "aws_vpclattice_service" "a" {
  name = "a"

  provisioner "local-exec" {
    command = "echo hi"
  }
}

check "health" {}
