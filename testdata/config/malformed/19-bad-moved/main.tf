moved {
  from = "aws_vpclattice_service.a"
  to   = aws_vpclattice_service.b
}

moved {
  from = aws_vpclattice_service
  to   = aws_vpclattice_service.b
}

moved {
  from = aws_vpclattice_service.a
  to   = aws_vpclattice_listener.a
}

moved {
  from = aws_vpclattice_service.a
}

moved {
  from = data.aws_region.a
  to   = data.aws_region.b
}
