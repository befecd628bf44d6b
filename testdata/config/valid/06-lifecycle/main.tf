resource "aws_vpclattice_service" "all" {
  name = "all"

  lifecycle {
    ignore_changes = all
  }
}

resource "aws_vpclattice_service" "some" {
  name = "some"
  tags = {}

  lifecycle {
    create_before_destroy = true
    prevent_destroy       = false
    ignore_changes        = [tags["team"], custom_domain_name, dns_entry[0].domain_name]
    replace_triggered_by  = [aws_vpclattice_service.all, aws_vpclattice_service.all.id]
  }
}

data "aws_region" "current" {
  lifecycle {
    postcondition {
      condition     = self.name != ""
      error_message = "no region"
    }
  }
}
