resource "aws_vpclattice_service" "a" {
  name = "a"

  lifecycle {
    ignore_changes = tags
  }
}

resource "aws_vpclattice_service" "b" {
  name = "b"

  lifecycle {
    ignore_changes = [tags[var.key], upper(name), "all"]
  }
}
