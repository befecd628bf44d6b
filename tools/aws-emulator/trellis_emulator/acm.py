"""ACM certificate validation as AWS does it, over moto's own certificates.

moto issues every requested certificate 60 seconds after the request, whatever the DNS
says, and ignores the request's ValidationMethod and KeyAlgorithm. Patched here:

- A requested certificate keeps the ValidationMethod (DNS or EMAIL; AWS's default is
  EMAIL) and KeyAlgorithm (default RSA_2048) it was requested with, and DescribeCertificate
  answers them (EMAIL options carry ValidationEmails, not a ResourceRecord).
- A DNS-validated certificate stays PENDING_VALIDATION until, for each of its domain
  names, the validation CNAME that DescribeCertificate gives exists, with that value, in a
  Route53 hosted zone of the certificate's account; then it is ISSUED. An EMAIL-validated
  one stays pending (nobody clicks the link here).

Certificates moto makes otherwise (imported, private) are untouched.
"""

from __future__ import annotations

from typing import Any

_installed = False


def _record_present(account: str, name: str, value: str) -> bool:
    from moto.route53.models import route53_backends

    want_name = name.rstrip(".").lower()
    want_value = value.rstrip(".").lower()
    for partition in route53_backends[account].keys():
        backend = route53_backends[account][partition]
        for zone in list(backend.zones.values()):
            for rr in list(zone.rrsets):
                if (rr.type or "").upper() != "CNAME" or rr.name.rstrip(".").lower() != want_name:
                    continue
                if any(str(v).rstrip(".").lower() == want_value for v in rr.records or []):
                    return True
    return False


def install() -> None:
    """Patches moto's ACM once per process."""
    global _installed
    if _installed:
        return
    _installed = True

    from moto.acm import models, responses

    bundle = models.CertBundle
    original_check = bundle.check
    original_describe = bundle.describe
    original_request = responses.AWSCertificateManagerResponse.request_certificate

    def requested(cert: Any) -> bool:
        return getattr(cert, "trellis_method", None) is not None

    def check(self: Any) -> None:
        if not (requested(self) and self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION"):
            original_check(self)
            return
        # Expiry only: issuing is decided below, not by moto's clock.
        saved = self.status
        self.status = "ISSUED"
        original_check(self)
        if self.status == "EXPIRED":
            return
        self.status = saved
        if self.trellis_method != "DNS":
            return
        options = original_describe(self)["Certificate"].get("DomainValidationOptions", [])
        if options and all(
            _record_present(self.arn.split(":")[4], o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"])
            for o in options
        ):
            self.status = "ISSUED"

    def describe(self: Any) -> dict[str, Any]:
        result = original_describe(self)
        if not requested(self):
            return result
        cert = result["Certificate"]
        cert["KeyAlgorithm"] = self.trellis_key_algorithm
        for option in cert.get("DomainValidationOptions", []):
            option["ValidationMethod"] = self.trellis_method
            if self.trellis_method == "EMAIL":
                option.pop("ResourceRecord", None)
                domain = option["DomainName"].lstrip("*.")
                option["ValidationEmails"] = [f"admin@{domain}", f"hostmaster@{domain}"]
        if self.status != "ISSUED":
            cert.pop("IssuedAt", None)
        return result

    def request_certificate(self: Any) -> Any:
        result = original_request(self)
        arn = result.result["CertificateArn"]
        cert = self.acm_backend.get_certificate(arn)
        if not requested(cert):
            cert.trellis_method = self._get_param("ValidationMethod") or "EMAIL"
            cert.trellis_key_algorithm = self._get_param("KeyAlgorithm") or "RSA_2048"
        return result

    bundle.check = check
    bundle.describe = describe
    responses.AWSCertificateManagerResponse.request_certificate = request_certificate
