# Per-argument replacement: auth_type changes, name and tags stay.
resource "aws_vpclattice_service" "orders" {
  auth_type = "AWS_IAM"
  lifecycle {
    create_before_destroy = true
  }
}

locals {
  env = "prod"
}

variable "name" {
  default = "orders-prod"
}
