provider "aws" {
  region = "us-east-1"
}

variable "domain" {
  type    = string
  default = "svc.example.com"
}

variable "services" {
  type = map(object({
    port        = optional(number, 443)
    status_code = optional(number, 404)
  }))
  default = {
    orders   = {}
    payments = { port = 8443, status_code = 503 }
  }
}

resource "aws_route53_zone" "this" {
  name    = var.domain
  comment = "Lattice custom domain names"
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain
  subject_alternative_names = ["*.${var.domain}"]
  validation_method         = "DNS"

  tags = {
    Name = var.domain
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in aws_acm_certificate.this.domain_validation_options : dvo.domain_name => {
      name   = dvo.resource_record_name
      record = dvo.resource_record_value
      type   = dvo.resource_record_type
    }
  }

  allow_overwrite = true
  name            = each.value.name
  records         = [each.value.record]
  ttl             = 60
  type            = each.value.type
  zone_id         = aws_route53_zone.this.zone_id
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_vpclattice_service_network" "this" {
  name      = "compat-13"
  auth_type = "NONE"
}

resource "aws_vpclattice_service" "this" {
  for_each           = var.services
  name               = each.key
  auth_type          = "NONE"
  custom_domain_name = "${each.key}.${var.domain}"
  certificate_arn    = aws_acm_certificate_validation.this.certificate_arn
}

resource "aws_vpclattice_listener" "https" {
  for_each           = var.services
  name               = "https"
  protocol           = "HTTPS"
  port               = each.value.port
  service_identifier = aws_vpclattice_service.this[each.key].id

  default_action {
    fixed_response {
      status_code = each.value.status_code
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "this" {
  for_each                   = var.services
  service_identifier         = aws_vpclattice_service.this[each.key].id
  service_network_identifier = aws_vpclattice_service_network.this.id
}

resource "aws_route53_record" "service" {
  for_each = var.services
  zone_id  = aws_route53_zone.this.zone_id
  name     = "${each.key}.${var.domain}"
  type     = "CNAME"
  ttl      = 300
  records  = [aws_vpclattice_service.this[each.key].dns_entry[0].domain_name]
}

output "certificate_arn" {
  value = aws_acm_certificate_validation.this.certificate_arn
}

output "endpoints" {
  value = { for k, s in aws_vpclattice_service.this : k => "https://${s.custom_domain_name}" }
}
