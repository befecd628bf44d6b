variable "name" {
  type        = string
  description = "The service name."
}

variable "service_network_id" {
  type        = string
  description = "The service network to join."
}

variable "auth_type" {
  type    = string
  default = "NONE"
}

resource "aws_vpclattice_service" "this" {
  name      = var.name
  auth_type = var.auth_type
}

resource "aws_vpclattice_service_network_service_association" "this" {
  service_identifier         = aws_vpclattice_service.this.id
  service_network_identifier = var.service_network_id
}

output "id" {
  value = aws_vpclattice_service.this.id
}

output "arn" {
  value = aws_vpclattice_service.this.arn
}
