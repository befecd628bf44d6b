# A listener port is 1 to 65535.
resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTP"
  port               = 70000
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}
