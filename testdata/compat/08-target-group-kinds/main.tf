provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "this" {
  cidr_block = "10.80.0.0/16"
}

locals {
  target_groups = {
    blue = {
      type = "IP"
      port = 8080
      health = {
        path    = "/health"
        matcher = "200-299"
      }
    }
    green = {
      type = "IP"
      port = 8081
    }
    fn = {
      type = "LAMBDA"
    }
  }
  rule_order = ["canary", "writes"]
}

resource "aws_vpclattice_target_group" "this" {
  for_each = local.target_groups
  name     = "compat08-${each.key}"
  type     = each.value.type

  dynamic "config" {
    for_each = each.value.type == "LAMBDA" ? [] : [each.value]
    content {
      vpc_identifier = aws_vpc.this.id
      port           = config.value.port
      protocol       = "HTTP"

      dynamic "health_check" {
        for_each = can(config.value.health) ? [config.value.health] : []
        content {
          enabled                       = true
          path                          = health_check.value.path
          health_check_interval_seconds = 10
          health_check_timeout_seconds  = 5
          healthy_threshold_count       = 2
          unhealthy_threshold_count     = 3
          protocol                      = "HTTP"
          protocol_version              = "HTTP1"
          matcher {
            value = health_check.value.matcher
          }
        }
      }
    }
  }
}

resource "aws_vpclattice_service" "api" {
  name = "compat08-api"
}

resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.api.id

  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.this["blue"].id
        weight                  = 90
      }
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.this["green"].id
        weight                  = 10
      }
    }
  }
}

resource "aws_vpclattice_listener_rule" "canary" {
  name                = "canary"
  listener_identifier = aws_vpclattice_listener.http.listener_id
  service_identifier  = aws_vpclattice_service.api.id
  priority            = index(local.rule_order, "canary") + 1

  match {
    http_match {
      header_matches {
        name           = "x-canary"
        case_sensitive = false
        match {
          exact = "true"
        }
      }
    }
  }

  action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.this["green"].id
      }
    }
  }
}

resource "aws_vpclattice_listener_rule" "writes" {
  name                = "writes"
  listener_identifier = aws_vpclattice_listener.http.listener_id
  service_identifier  = aws_vpclattice_service.api.id
  priority            = index(local.rule_order, "writes") + 1

  match {
    http_match {
      method = "POST"
      path_match {
        match {
          prefix = "/orders"
        }
      }
    }
  }

  action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.this["fn"].id
        weight                  = 100
      }
    }
  }
}

output "target_group_arns" {
  value = { for k, tg in aws_vpclattice_target_group.this : k => tg.arn }
}
