# A service name is at most 40 characters long (41 here).
resource "aws_vpclattice_service" "orders" {
  name = "orders-service-with-a-very-long-name-abcd"
}
