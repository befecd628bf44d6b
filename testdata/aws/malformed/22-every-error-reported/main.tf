# Validation reports every problem it finds, across resources, not just the first.
resource "aws_vpclattice_service" "orders" {
  name = "Orders"
}

resource "aws_vpclattice_listener" "http" {
  name               = "listener-x"
  protocol           = "FTP"
  port               = 0
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = "svc-0123456789abcdef0"
  policy              = "not json"
}
