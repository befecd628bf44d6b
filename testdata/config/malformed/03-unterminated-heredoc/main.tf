resource "aws_vpclattice_auth_policy" "a" {
  policy = <<EOT
{"Version": "2012-10-17"}
