resource "aws_vpclattice_service" "orders" {
  name = "orders"
}
