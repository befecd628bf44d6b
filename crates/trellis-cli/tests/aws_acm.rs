//! ACM against the emulator, written the way configurations give a Lattice service HTTPS and
//! a custom domain name: `aws_acm_certificate` with DNS validation, one Route53 record per
//! `domain_validation_options` entry (a `for_each` keyed by domain name, known at plan time),
//! `aws_acm_certificate_validation` waiting for the certificate to be issued, and the service
//! and its HTTPS listener using it. The emulator issues a certificate only once its
//! validation records exist, as ACM does.

mod multi;

use multi::*;

fn acm(f: &Fixture) -> aws_sdk_acm::Client {
    aws_sdk_acm::Client::new(&f.config(SERVICE_A))
}

fn config(tag: &str) -> String {
    format!(
        r#"{provider}
resource "aws_route53_zone" "public" {{
  provider = aws.app
  name     = "example.com"
}}

resource "aws_acm_certificate" "orders" {{
  provider                  = aws.app
  domain_name               = "orders.example.com"
  subject_alternative_names = ["*.orders.example.com"]
  validation_method         = "DNS"
  key_algorithm             = "EC_prime256v1"
  tags                      = {{ Name = "{tag}" }}

  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "aws_route53_record" "validation" {{
  provider = aws.app
  for_each = {{
    for dvo in aws_acm_certificate.orders.domain_validation_options : dvo.domain_name => {{
      name   = dvo.resource_record_name
      record = dvo.resource_record_value
      type   = dvo.resource_record_type
    }}
  }}
  allow_overwrite = true
  name            = each.value.name
  records         = [each.value.record]
  ttl             = 60
  type            = each.value.type
  zone_id         = aws_route53_zone.public.zone_id
}}

resource "aws_acm_certificate_validation" "orders" {{
  provider                = aws.app
  certificate_arn         = aws_acm_certificate.orders.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}}

resource "aws_vpclattice_service" "orders" {{
  provider           = aws.app
  name               = "orders"
  custom_domain_name = "orders.example.com"
  certificate_arn    = aws_acm_certificate_validation.orders.certificate_arn
}}

resource "aws_vpclattice_listener" "https" {{
  provider           = aws.app
  name               = "https"
  protocol           = "HTTPS"
  port               = 443
  service_identifier = aws_vpclattice_service.orders.id
  default_action {{
    fixed_response {{
      status_code = 404
    }}
  }}
}}
"#,
        provider = Fixture::provider("app", SERVICE_A)
    )
}

#[test]
fn dns_validated_certificate_for_an_https_service() {
    let f = Fixture::new();
    f.write("main.tf", &config("orders"));
    f.ok(&["validate"]);
    // The validation options' domain names are known at plan time, so the records'
    // for_each keys are too; their values are not.
    let plan = f.plan(&[]);
    for want in [
        "aws_route53_record.validation[\"orders.example.com\"] will be created",
        "aws_route53_record.validation[\"*.orders.example.com\"] will be created",
        "aws_acm_certificate_validation.orders will be created",
        "Plan: 7 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(plan.contains(want), "{want}:\n{plan}");
    }
    f.apply(&[]);

    let arn = f.state_attr("aws_acm_certificate.orders", "arn");
    let cert = f
        .block(acm(&f).describe_certificate().certificate_arn(&arn).send())
        .unwrap();
    let cert = cert.certificate().unwrap();
    assert_eq!(cert.status().map(|s| s.as_str()), Some("ISSUED"));
    assert_eq!(
        cert.key_algorithm().map(|k| k.as_str()),
        Some("EC_prime256v1")
    );
    let service = f
        .block(
            f.lattice(SERVICE_A)
                .get_service()
                .service_identifier(f.state_attr("aws_vpclattice_service.orders", "id"))
                .send(),
        )
        .unwrap();
    assert_eq!(service.certificate_arn(), Some(arn.as_str()));
    assert_eq!(service.custom_domain_name(), Some("orders.example.com"));
    // The state holds the status the create saw (PENDING_VALIDATION, as in Terraform); the
    // refresh reads ISSUED, which leaves nothing to do.
    f.assert_no_changes(&[]);

    // Tags change in place.
    f.write("main.tf", &config("orders-https"));
    let plan = f.plan(&[]);
    let actions: Vec<String> = headings(&plan)
        .into_iter()
        .filter(|h| h.contains(" will be ") || h.contains(" must be "))
        .collect();
    assert_eq!(
        actions,
        vec!["aws_acm_certificate.orders will be updated in-place"],
        "{plan}"
    );
    f.apply(&[]);
    let tags = f
        .block(
            acm(&f)
                .list_tags_for_certificate()
                .certificate_arn(&arn)
                .send(),
        )
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "Name" && t.value() == Some("orders-https")),
        "{tags:?}"
    );
    f.assert_no_changes(&[]);

    // Import by ARN.
    f.ok(&["state", "rm", "aws_acm_certificate.orders"]);
    f.ok(&["import", "aws_acm_certificate.orders", &arn]);
    f.assert_no_changes(&[]);

    f.destroy(&[]);
    let gone = f.block(acm(&f).describe_certificate().certificate_arn(&arn).send());
    assert!(gone.is_err(), "the certificate is deleted");
}

#[test]
fn a_validation_without_its_records_fails_and_says_which() {
    let f = Fixture::new();
    let config = |fqdns: &str, wait: &str| {
        format!(
            r#"{provider}
resource "aws_acm_certificate" "c" {{
  provider          = aws.app
  domain_name       = "pending.example.com"
  validation_method = "DNS"
}}

resource "aws_acm_certificate_validation" "v" {{
  provider        = aws.app
  certificate_arn = aws_acm_certificate.c.arn
  {fqdns}
  timeouts {{
    create = "{wait}"
  }}
}}
"#,
            provider = Fixture::provider("app", SERVICE_A)
        )
    };
    // Records named, but not the certificate's: an error at once.
    f.write(
        "main.tf",
        &config(
            r#"validation_record_fqdns = ["_wrong.pending.example.com"]"#,
            "75m",
        ),
    );
    let run = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(
        run.text
            .contains("missing pending.example.com DNS validation record"),
        "{}",
        run.text
    );
    // No records at all: the certificate stays pending, and the wait ends at its timeout.
    f.write("main.tf", &config("", "2s"));
    let run = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(run.text.contains("to be issued"), "{}", run.text);
    // The certificate itself was created and is in state, pending.
    assert_eq!(
        f.state_attr("aws_acm_certificate.c", "status"),
        "PENDING_VALIDATION"
    );
    f.destroy(&[]);
}

#[test]
fn certificate_mistakes_are_located_before_any_call() {
    let f = Fixture::new();
    f.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "aws_acm_certificate" "c" {{
  provider          = aws.app
  domain_name       = "orders.example.com."
  validation_method = "HTTP"
  key_algorithm     = "RSA_1024"
}}
"#,
            provider = Fixture::provider("app", SERVICE_A)
        ),
    );
    let run = f.run(&["validate"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    for want in [
        "\"HTTP\" is not one of DNS, EMAIL",
        "\"RSA_1024\" is not one of RSA_2048",
        "is not a domain name",
        "on main.tf line",
    ] {
        assert!(run.text.contains(want), "{want}: {}", run.text);
    }
}
