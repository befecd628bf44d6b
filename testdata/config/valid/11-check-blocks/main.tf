resource "aws_vpclattice_service" "orders" {
  name = "orders"
}

check "orders_named" {
  assert {
    condition     = aws_vpclattice_service.orders.name == "orders"
    error_message = "the orders service must be called orders"
  }
  assert {
    condition     = length(aws_vpclattice_service.orders.name) < 40
    error_message = <<-EOT
      service names are limited to 40 characters
    EOT
  }
}
