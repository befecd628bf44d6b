resource "aws_vpclattice_listener_rule" "a" {
  name = "a"

  dynamic "match" {
    iterator = "m"
    content {}
    content {}
  }

  dynamic {
    for_each = []
  }

  dynamic "action" {
    for_each = var.actions
    contents {}
  }
}
