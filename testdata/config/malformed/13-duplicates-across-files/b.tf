variable "region" {}

output "id" {
  value = 2
}

locals {
  x = 2
}

provider "aws" {
  alias = "net"
}
