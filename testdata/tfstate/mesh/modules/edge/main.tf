variable "name" {
  type = string
}

variable "network" {
  type        = string
  description = "the service network the gateway joins"
}

resource "aws_vpclattice_service" "gateway" {
  name = var.name
}

resource "aws_vpclattice_service_network_service_association" "this" {
  service_identifier         = aws_vpclattice_service.gateway.id
  service_network_identifier = var.network
}

output "gateway_arn" {
  value = aws_vpclattice_service.gateway.arn
}
