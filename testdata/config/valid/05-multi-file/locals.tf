locals {
  suffix = "prod"
}

locals {
  full = "${local.prefix}-${local.suffix}"
}
