resource "aws_vpclattice_service" "a" {
  name = "a"

  lifecycle {
    create_before_destroy = "true"
    prevent_destroy       = var.protect
    destroy_later         = true
  }
}
