variable "services" {
  type    = list(string)
  default = ["orders", "payments"]
}

variable "environments" {
  type    = set(string)
  default = ["prod", "staging"]
}

variable "release_time" {
  type    = string
  default = "2024-05-06T07:08:09Z"
}

variable "owners" {
  type = map(list(string))
  default = {
    platform = ["orders", "payments"]
    payments = ["payments"]
  }
}

locals {
  # services × environments, keyed the way for_each wants it.
  pairs = {
    for pair in setproduct(var.services, var.environments) :
    "${pair[0]}-${pair[1]}" => {
      service     = pair[0]
      environment = pair[1]
    }
  }

  policy_hash = filebase64sha256("${path.module}/policies/auth.json")
  release_tag = formatdate("YYYYMMDD-hhmm", var.release_time)
  expires_at  = timeadd(var.release_time, "720h")

  teams_by_service = transpose(var.owners)
  prod_services    = matchkeys(var.services, var.services, ["payments"])
}

output "pair_keys" {
  value = keys(local.pairs)
}

output "policy_hash" {
  value = local.policy_hash
}

output "release_tag" {
  value = "release-${local.release_tag}"
}

output "expires_at" {
  value = local.expires_at
}

output "teams_by_service" {
  value = local.teams_by_service
}

output "prod_services" {
  value = local.prod_services
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_vpclattice_service" "this" {
  for_each  = local.pairs
  name      = "c10-${each.key}"
  auth_type = "NONE"
  tags = {
    Service     = each.value.service
    Environment = each.value.environment
    Release     = local.release_tag
    Teams       = join(",", lookup(local.teams_by_service, each.value.service, []))
    PolicyHash  = local.policy_hash
  }
}
