variable "name" {
  type = string
}

variable "namespace" {
  type    = string
  default = ""
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  id = join("-", compact([var.namespace, lower(var.name)]))
}

output "id" {
  value = local.id
}

output "tags" {
  value = merge(var.tags, { Name = local.id })
}
