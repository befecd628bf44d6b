# A small mesh against trellis's in-memory test provider: no AWS account, no emulator.
# The provider keeps its objects in world.json beside this file.

provider "trellis" {
  store = "world.json"
}

variable "services" {
  type        = map(object({ port = number, public = optional(bool, false) }))
  description = "services of the mesh and the port each listens on"
  default = {
    orders  = { port = 8080 }
    billing = { port = 8443, public = true }
  }
}

variable "api_key" {
  type      = string
  default   = "not-a-real-secret"
  sensitive = true
}

locals {
  tags = { team = "platform", managed_by = "trellis" }
}

resource "trellis_test_network" "mesh" {
  name      = "mesh"
  auth_type = "AWS_IAM"
  tags      = local.tags
}

resource "trellis_test_service" "svc" {
  for_each  = var.services
  name      = each.key
  auth_type = each.value.public ? "NONE" : "AWS_IAM"
  secret    = var.api_key
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "vpc-lattice-svcs:Invoke" }]
  })
  tags = merge(local.tags, { service = each.key })
}

resource "trellis_test_listener" "http" {
  for_each   = var.services
  name       = "${each.key}-http"
  service_id = trellis_test_service.svc[each.key].id
  port       = each.value.port

  default_action {
    status_code = 404
  }
}

resource "trellis_test_association" "svc" {
  for_each   = trellis_test_service.svc
  service_id = each.value.id
  network_id = trellis_test_network.mesh.id
}

output "network_id" {
  value = trellis_test_network.mesh.id
}

output "service_dns" {
  value = { for k, s in trellis_test_service.svc : k => s.dns_name }
}
