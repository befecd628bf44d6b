# A listener speaks HTTP, HTTPS or TLS_PASSTHROUGH.
resource "aws_vpclattice_listener" "ftp" {
  name               = "ftp"
  protocol           = "FTP"
  port               = 21
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}
