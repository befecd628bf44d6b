provider "aws" {
  region = "us-east-1"
}

locals {
  service_files = fileset("${path.module}/services", "*.{yaml,yml}")

  services = {
    for f in local.service_files :
    trimsuffix(trimsuffix(f, ".yaml"), ".yml") => yamldecode(file("${path.module}/services/${f}"))
  }

  description_template = "$${name} on port $${port}, owned by $${team}"

  descriptions = {
    for name, svc in local.services :
    name => templatestring(local.description_template, {
      name = svc.name
      port = svc.port
      team = svc.tags.Team
    })
  }

  policy_files = {
    for name, svc in local.services :
    name => "${path.module}/policies/${name}.json"
    if svc.auth && fileexists("${path.module}/policies/${name}.json")
  }
}

resource "aws_vpclattice_service_network" "mesh" {
  name      = "c11-mesh"
  auth_type = "NONE"
}

resource "aws_vpclattice_service" "this" {
  for_each  = local.services
  name      = "c11-${each.key}"
  auth_type = contains(keys(local.policy_files), each.key) ? "AWS_IAM" : "NONE"
  tags = merge(each.value.tags, {
    Description = local.descriptions[each.key]
    HealthPath  = each.value.listener.health_path
  })
}

resource "aws_vpclattice_auth_policy" "this" {
  for_each    = local.policy_files
  resource_identifier = aws_vpclattice_service.this[each.key].arn
  policy              = jsonencode(jsondecode(file(each.value)))
}

resource "aws_vpclattice_listener" "this" {
  for_each           = local.services
  name               = "http-${each.value.port}"
  protocol           = each.value.listener.protocol
  port               = each.value.port
  service_identifier = aws_vpclattice_service.this[each.key].id
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "this" {
  for_each                   = local.services
  service_identifier         = aws_vpclattice_service.this[each.key].id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

output "service_files" {
  value = local.service_files
}

output "catalogue" {
  value = yamlencode({
    for name, svc in local.services : name => {
      port        = svc.port
      auth        = svc.auth
      description = local.descriptions[name]
    }
  })
}

output "with_policies" {
  value = sort(keys(local.policy_files))
}
