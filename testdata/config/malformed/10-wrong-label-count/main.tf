resource "aws_vpclattice_service" {
  name = "a"
}

variable {
  type = string
}

locals "named" {
  a = 1
}

provider "aws" "extra" {}

output "a" "b" {
  value = 1
}
