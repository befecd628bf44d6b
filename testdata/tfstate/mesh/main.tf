resource "aws_vpclattice_service_network" "mesh" {
  name      = "legacy-mesh"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_service" "svc" {
  for_each = toset(["alpha", "beta"])
  name     = each.key
}

resource "aws_vpclattice_service_network_service_association" "assoc" {
  for_each                   = toset(["alpha", "beta"])
  service_identifier         = aws_vpclattice_service.svc[each.key].id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_listener" "http" {
  count              = 1
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.svc["alpha"].id

  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

# A local module with for_each: its resources are in the Terraform state under
# module.edge["east"].
module "edge" {
  source   = "./modules/edge"
  for_each = toset(["east"])

  name    = "gateway-${each.key}"
  network = aws_vpclattice_service_network.mesh.id
}
