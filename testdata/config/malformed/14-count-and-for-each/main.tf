resource "aws_vpclattice_service" "a" {
  count    = 2
  for_each = toset(["a"])
  name     = "a"
}
