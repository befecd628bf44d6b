# A default action is either a fixed response or a forward, not both.
resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
    forward {
      target_groups {
        target_group_identifier = "tg-0123456789abcdef0"
      }
    }
  }
}
