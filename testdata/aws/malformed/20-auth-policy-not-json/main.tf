# An auth policy is a JSON document.
resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = "svc-0123456789abcdef0"
  policy              = "{\"Version\": \"2012-10-17\", \"Statement\": ["
}
