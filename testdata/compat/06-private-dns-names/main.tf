provider "aws" {
  region = "us-east-1"
}

variable "domain" {
  type    = string
  default = "compat06.internal"
}

variable "services" {
  type = map(object({ alias = bool }))
  default = {
    users  = { alias = true }
    orders = { alias = false }
  }
}

resource "aws_vpc" "clients" {
  cidr_block           = "10.60.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
}

resource "aws_route53_zone" "private" {
  name    = var.domain
  comment = "Lattice custom domain names"

  vpc {
    vpc_id = aws_vpc.clients.id
  }
}

resource "aws_vpclattice_service" "this" {
  for_each           = var.services
  name               = "compat06-${each.key}"
  auth_type          = "NONE"
  custom_domain_name = "${each.key}.${var.domain}"
}

resource "aws_route53_record" "cname" {
  for_each = { for k, v in var.services : k => v if !v.alias }
  zone_id  = aws_route53_zone.private.zone_id
  name     = aws_vpclattice_service.this[each.key].custom_domain_name
  type     = "CNAME"
  ttl      = 300
  records  = [aws_vpclattice_service.this[each.key].dns_entry[0].domain_name]
}

resource "aws_route53_record" "alias" {
  for_each = { for k, v in var.services : k => v if v.alias }
  zone_id  = aws_route53_zone.private.zone_id
  name     = aws_vpclattice_service.this[each.key].custom_domain_name
  type     = "A"

  alias {
    name                   = aws_vpclattice_service.this[each.key].dns_entry[0].domain_name
    zone_id                = aws_vpclattice_service.this[each.key].dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}

output "names" {
  value = sort(concat(values(aws_route53_record.cname)[*].fqdn, values(aws_route53_record.alias)[*].fqdn))
}
