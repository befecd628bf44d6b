variable "region" {}

output "id" {
  value = 1
}

locals {
  x = 1
}

provider "aws" {
  alias = "net"
}
