# A listener name may not start with "listener-" (the prefix of listener IDs).
resource "aws_vpclattice_listener" "http" {
  name               = "listener-http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}
