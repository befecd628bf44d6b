# A default action needs a fixed response or a forward; an empty block has neither.
resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTPS"
  port               = 443
  service_identifier = "svc-0123456789abcdef0"
  default_action {
  }
}
