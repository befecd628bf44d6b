# A target port is 1 to 65535.
resource "aws_vpclattice_target_group_attachment" "t1" {
  target_group_identifier = "tg-0123456789abcdef0"
  target {
    id   = "10.0.0.10"
    port = 99999
  }
}
