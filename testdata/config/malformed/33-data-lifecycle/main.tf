data "aws_region" "r" {
  lifecycle {
    create_before_destroy = true
  }
}
