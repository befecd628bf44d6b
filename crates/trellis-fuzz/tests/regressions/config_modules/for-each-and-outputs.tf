provider "trellis" {}

module "svc" {
  source   = "./modules/svc"
  for_each = toset(["a", "b"])
  name     = each.key
}

module "other" {
  source = "./modules/svc"
  count  = 2
  name   = module.svc["a"].id
}

output "ids" {
  value = [for k, m in module.svc : m.id]
}
#-- module --
variable "name" {
  type = string
}

resource "trellis_test_thing" "t" {
  name  = var.name
  value = "${var.name}-v"
}

output "id" {
  value = trellis_test_thing.t.id
}
