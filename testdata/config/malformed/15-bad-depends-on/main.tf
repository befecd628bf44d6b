resource "aws_vpclattice_service" "a" {
  name       = "a"
  depends_on = aws_vpclattice_service.b
}

resource "aws_vpclattice_service" "b" {
  name       = "b"
  depends_on = ["aws_vpclattice_service.a", var.x, aws_vpclattice_service.a.arn, upper("x")]
}
