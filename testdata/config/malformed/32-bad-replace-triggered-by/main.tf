resource "aws_vpclattice_service" "a" {
  name = "a"

  lifecycle {
    replace_triggered_by = [var.version, "aws_vpclattice_service.b", local.x]
  }

  lifecycle {
    prevent_destroy = true
  }
}
