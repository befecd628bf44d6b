# A fixed response status code is 100 to 599.
resource "aws_vpclattice_listener_rule" "teapot" {
  name                = "teapot"
  service_identifier  = "svc-0123456789abcdef0"
  listener_identifier = "listener-0123456789abcdef0"
  priority            = 5
  match {
    http_match {
      method = "GET"
    }
  }
  action {
    fixed_response {
      status_code = 999
    }
  }
}
