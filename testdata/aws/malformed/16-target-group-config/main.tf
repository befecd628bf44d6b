# Target group config: port range, protocol and protocol version, health check port.
resource "aws_vpclattice_target_group" "tg" {
  name = "orders"
  type = "IP"
  config {
    vpc_identifier   = "vpc-0123456789abcdef0"
    port             = 0
    protocol         = "UDP"
    protocol_version = "HTTP3"
    health_check {
      port = 65536
    }
  }
}
