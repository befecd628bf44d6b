# A name may not end with a hyphen.
resource "aws_vpclattice_target_group" "tg" {
  name = "orders-"
  type = "LAMBDA"
}
