resource "aws_vpclattice_listener" "this" {
  name               = "http-${var.port}"
  protocol           = "HTTP"
  port               = var.port
  service_identifier = var.service_id

  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_listener_rule" "this" {
  for_each = var.rules

  name                = each.key
  listener_identifier = aws_vpclattice_listener.this.listener_id
  service_identifier  = var.service_id
  priority            = each.value.priority

  match {
    http_match {
      path_match {
        case_sensitive = false
        match {
          prefix = each.value.path
        }
      }
    }
  }

  action {
    fixed_response {
      status_code = each.value.status
    }
  }
}

output "listener_id" {
  value = aws_vpclattice_listener.this.listener_id
}
