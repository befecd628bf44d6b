variable "prefix" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "targets" {
  type = any
}

locals {
  # One entry per (target group, address), keyed so that adding an address touches one.
  attachments = merge([
    for tg, spec in var.targets : {
      for ip in spec.ips : "${tg}/${ip}" => {
        target_group = tg
        ip           = ip
        port         = spec.port
      }
    }
  ]...)
}

resource "aws_vpclattice_target_group" "this" {
  for_each = var.targets

  name = each.key
  type = each.value.type

  config {
    vpc_identifier   = var.vpc_id
    port             = each.value.port
    protocol         = lookup(each.value, "protocol", "HTTP")
    protocol_version = "HTTP1"

    health_check {
      enabled  = true
      path     = try(each.value.health_path, "/")
      protocol = "HTTP"
      matcher {
        value = "200"
      }
    }
  }
}

resource "aws_vpclattice_target_group_attachment" "this" {
  for_each = local.attachments

  target_group_identifier = aws_vpclattice_target_group.this[each.value.target_group].id

  target {
    id   = each.value.ip
    port = each.value.port
  }
}

output "target_group_ids" {
  value = { for k, tg in aws_vpclattice_target_group.this : k => tg.id }
}
