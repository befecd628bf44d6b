# auth_type is NONE or AWS_IAM, on services and networks alike.
resource "aws_vpclattice_service_network" "mesh" {
  name      = "mesh"
  auth_type = "IAM"
}

resource "aws_vpclattice_service" "orders" {
  name      = "orders"
  auth_type = "OPEN"
}
