# A name may not start with a hyphen.
resource "aws_vpclattice_service_network" "mesh" {
  name = "-mesh"
}
