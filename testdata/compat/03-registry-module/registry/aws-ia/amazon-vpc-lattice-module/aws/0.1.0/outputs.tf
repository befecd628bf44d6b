output "service_network" {
  description = "the service network, or null"
  value       = try(aws_vpclattice_service_network.this[0], null)
}

output "services" {
  value = aws_vpclattice_service.this
}
