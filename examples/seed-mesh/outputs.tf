locals {
  # The services in the mesh, by short name: their custom names get records in every client
  # account's private zone.
  served = merge(
    { b = aws_vpclattice_service.b, c = aws_vpclattice_service.c },
    { for s in aws_vpclattice_service.a : "a" => s },
  )
}

output "service_network_arn" {
  value = aws_vpclattice_service_network.mesh.arn
}

output "share_arn" {
  value = aws_ram_resource_share.mesh.arn
}

output "service_names" {
  description = "custom name => Lattice DNS name"
  value       = { for k, s in local.served : s.custom_domain_name => s.dns_entry[0].domain_name }
}
