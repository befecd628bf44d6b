# A name may not contain two hyphens in a row.
resource "aws_vpclattice_service" "orders" {
  name = "orders--api"
}
