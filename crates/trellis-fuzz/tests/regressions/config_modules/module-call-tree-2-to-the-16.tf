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
vaer "trellis" {}

module "svc" {
  source   = "./modules/svc"
  for_each = tos" {}

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
vaer "trellis" {}

module "svc" {
  source   = "./modules/svc"
  for_each = toset(["a", "b"])
  name     = each.key
}

module "other" {
 riable "name" {
  type = string
}

resource "trellis_tar.name
  value = "${var.name}-v"
}

output "id" {
  value = trellis_teset(["a", "b"])
  name     = each.key
}

module "other" {
 riable "name" {
  type = string
}

resource "trellis_tar.name
  value = "${var.name}-v"
}

output "id" {
  value = trellis_temt_thing.t.id
}
