# A target group type is IP, LAMBDA, INSTANCE or ALB.
resource "aws_vpclattice_target_group" "tg" {
  name = "orders"
  type = "NLB"
}
