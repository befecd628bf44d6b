output "a" {
  value = aws_vpclattice_service.a.arn
}
