provider "aws" {
  region = "us-east-1"
}

locals {
  services = {
    orders = {
      port = 80
      rules = {
        v2-api = { priority = 10, path = "/v2" }
        legacy = { priority = 20, path = "/legacy", status = 410 }
      }
    }
    billing = {
      port  = 8080
      rules = {}
    }
  }
}

resource "aws_vpclattice_service_network" "this" {
  name      = "compat-14"
  auth_type = "NONE"
}

module "service" {
  source   = "github.com/example-org/lattice-service?ref=v0.3.0"
  for_each = local.services

  name               = each.key
  service_network_id = aws_vpclattice_service_network.this.id
}

module "listener" {
  source   = "git::https://github.com/example-org/terraform-aws-lattice-listeners.git//modules/listener?ref=v1.1.0"
  for_each = local.services

  service_id = module.service[each.key].id
  port       = each.value.port
  rules      = try(each.value.rules, {})
}

output "services" {
  value = { for k, m in module.service : k => m.arn }
}

output "listeners" {
  value = { for k, m in module.listener : k => m.listener_id }
}
