# A rule priority is 1 to 100.
resource "aws_vpclattice_listener_rule" "api" {
  name                = "api"
  service_identifier  = "svc-0123456789abcdef0"
  listener_identifier = "listener-0123456789abcdef0"
  priority            = 0
  match {
    http_match {
      method = "GET"
    }
  }
  action {
    fixed_response {
      status_code = 404
    }
  }
}
