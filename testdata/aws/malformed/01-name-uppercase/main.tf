# Lattice names are lowercase letters, digits and hyphens.
resource "aws_vpclattice_service" "orders" {
  name = "Orders"
}
