# Services, target groups and rules may not take the prefix of their own IDs either.
resource "aws_vpclattice_service" "orders" {
  name = "svc-orders"
}

resource "aws_vpclattice_target_group" "tg" {
  name = "tg-orders"
  type = "LAMBDA"
}

resource "aws_vpclattice_listener_rule" "api" {
  name                = "rule-api"
  service_identifier  = "svc-0123456789abcdef0"
  listener_identifier = "listener-0123456789abcdef0"
  priority            = 10
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
