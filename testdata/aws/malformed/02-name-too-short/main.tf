# Names are at least 3 characters long.
resource "aws_vpclattice_service_network" "mesh" {
  name = "ab"
}
