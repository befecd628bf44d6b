variable "service_id" {
  type = string
}

variable "listeners" {
  type = any
}

variable "target_groups" {
  type = map(string)
}

locals {
  rules = flatten([
    for lk, listener in var.listeners : [
      for rk, rule in try(listener.rules, {}) : {
        key      = "${lk}/${rk}"
        listener = lk
        name     = rk
        rule     = rule
      }
    ]
  ])
}

resource "aws_vpclattice_listener" "this" {
  for_each = var.listeners

  name               = each.key
  protocol           = each.value.protocol
  port               = lookup(each.value, "port", null)
  service_identifier = var.service_id

  default_action {
    dynamic "fixed_response" {
      for_each = can(each.value.default.fixed_response) ? [each.value.default.fixed_response] : []
      content {
        status_code = fixed_response.value
      }
    }

    dynamic "forward" {
      for_each = can(each.value.default.forward) ? [each.value.default.forward] : []
      content {
        target_groups {
          target_group_identifier = var.target_groups[forward.value]
          weight                  = 100
        }
      }
    }
  }
}

resource "aws_vpclattice_listener_rule" "this" {
  for_each = { for r in local.rules : r.key => r }

  name                = each.value.name
  listener_identifier = aws_vpclattice_listener.this[each.value.listener].listener_id
  service_identifier  = var.service_id
  priority            = each.value.rule.priority

  match {
    http_match {
      path_match {
        case_sensitive = false
        match {
          prefix = each.value.rule.path
        }
      }
    }
  }

  action {
    forward {
      target_groups {
        target_group_identifier = var.target_groups[each.value.rule.target]
        weight                  = 100
      }
    }
  }
}
