//! Conversions between resource values and VPC Lattice SDK types (actions, matches, health
//! checks, DNS entries). Everything here is pure.

use aws_sdk_vpclattice::types::{
    DnsEntry, FixedResponseAction, ForwardAction, HeaderMatch, HeaderMatchType, HealthCheckConfig,
    HealthCheckProtocolVersion, HttpMatch, Matcher, PathMatch, PathMatchType, RuleAction,
    RuleMatch, TargetGroupProtocol, WeightedTargetGroup,
};
use trellis_provider::ProviderError;
use trellis_types::Value;

use crate::sdk::convert::{b, block, list, n, opt_bool, opt_num, opt_str, s};
use crate::sdk::error::invalid;

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    invalid(e.to_string())
}

pub fn action_to_sdk(action: &Value) -> Result<RuleAction, ProviderError> {
    if let Some(fixed) = block(action, "fixed_response") {
        let code =
            n(fixed, "status_code").ok_or_else(|| invalid("fixed_response needs status_code"))?;
        return Ok(RuleAction::FixedResponse(
            FixedResponseAction::builder()
                .status_code(code)
                .build()
                .map_err(build_err)?,
        ));
    }
    if let Some(forward) = block(action, "forward") {
        let mut builder = ForwardAction::builder();
        for tg in list(forward, "target_groups") {
            let id = s(tg, "target_group_identifier")
                .ok_or_else(|| invalid("target_groups needs target_group_identifier"))?;
            builder = builder.target_groups(
                WeightedTargetGroup::builder()
                    .target_group_identifier(id)
                    .set_weight(n(tg, "weight"))
                    .build()
                    .map_err(build_err)?,
            );
        }
        return Ok(RuleAction::Forward(builder.build().map_err(build_err)?));
    }
    Err(invalid(
        "an action needs a fixed_response or a forward block",
    ))
}

pub fn action_from_sdk(action: Option<&RuleAction>) -> Value {
    let mut fixed = Value::Null;
    let mut forward = Value::Null;
    match action {
        Some(RuleAction::FixedResponse(f)) => {
            fixed = Value::object([("status_code", opt_num(Some(f.status_code())))]);
        }
        Some(RuleAction::Forward(f)) => {
            forward = Value::object([(
                "target_groups",
                Value::List(
                    f.target_groups()
                        .iter()
                        .map(|tg| {
                            Value::object([
                                (
                                    "target_group_identifier",
                                    Value::string(tg.target_group_identifier()),
                                ),
                                ("weight", opt_num(tg.weight())),
                            ])
                        })
                        .collect(),
                ),
            )]);
        }
        _ => return Value::Null,
    }
    Value::object([("fixed_response", fixed), ("forward", forward)])
}

pub fn match_to_sdk(value: &Value) -> Result<RuleMatch, ProviderError> {
    let http =
        block(value, "http_match").ok_or_else(|| invalid("match needs an http_match block"))?;
    let mut builder = HttpMatch::builder().set_method(s(http, "method"));
    if let Some(path) = block(http, "path_match") {
        let m = block(path, "match").ok_or_else(|| invalid("path_match needs a match block"))?;
        let kind = if let Some(exact) = s(m, "exact") {
            PathMatchType::Exact(exact)
        } else if let Some(prefix) = s(m, "prefix") {
            PathMatchType::Prefix(prefix)
        } else {
            return Err(invalid("path_match.match needs exact or prefix"));
        };
        builder = builder.path_match(
            PathMatch::builder()
                .r#match(kind)
                .set_case_sensitive(b(path, "case_sensitive"))
                .build(),
        );
    }
    for header in list(http, "header_matches") {
        let m =
            block(header, "match").ok_or_else(|| invalid("header_matches needs a match block"))?;
        let kind = if let Some(exact) = s(m, "exact") {
            HeaderMatchType::Exact(exact)
        } else if let Some(prefix) = s(m, "prefix") {
            HeaderMatchType::Prefix(prefix)
        } else if let Some(contains) = s(m, "contains") {
            HeaderMatchType::Contains(contains)
        } else {
            return Err(invalid(
                "header_matches.match needs exact, prefix or contains",
            ));
        };
        builder = builder.header_matches(
            HeaderMatch::builder()
                .set_name(s(header, "name"))
                .r#match(kind)
                .set_case_sensitive(b(header, "case_sensitive"))
                .build()
                .map_err(build_err)?,
        );
    }
    Ok(RuleMatch::HttpMatch(builder.build()))
}

pub fn match_from_sdk(value: Option<&RuleMatch>) -> Value {
    let Some(RuleMatch::HttpMatch(http)) = value else {
        return Value::Null;
    };
    let path = http.path_match().map(|p| {
        let (exact, prefix) = match p.r#match() {
            Some(PathMatchType::Exact(x)) => (Some(x.as_str()), None),
            Some(PathMatchType::Prefix(x)) => (None, Some(x.as_str())),
            _ => (None, None),
        };
        Value::object([
            ("case_sensitive", opt_bool(p.case_sensitive())),
            (
                "match",
                Value::object([("exact", opt_str(exact)), ("prefix", opt_str(prefix))]),
            ),
        ])
    });
    let headers: Vec<Value> = http
        .header_matches()
        .iter()
        .map(|h| {
            let (mut exact, mut prefix, mut contains) = (None, None, None);
            match h.r#match() {
                Some(HeaderMatchType::Exact(x)) => exact = Some(x.as_str()),
                Some(HeaderMatchType::Prefix(x)) => prefix = Some(x.as_str()),
                Some(HeaderMatchType::Contains(x)) => contains = Some(x.as_str()),
                _ => {}
            }
            Value::object([
                ("name", Value::string(h.name())),
                ("case_sensitive", opt_bool(h.case_sensitive())),
                (
                    "match",
                    Value::object([
                        ("exact", opt_str(exact)),
                        ("prefix", opt_str(prefix)),
                        ("contains", opt_str(contains)),
                    ]),
                ),
            ])
        })
        .collect();
    Value::object([(
        "http_match",
        Value::object([
            ("method", opt_str(http.method())),
            ("path_match", path.unwrap_or(Value::Null)),
            ("header_matches", Value::List(headers)),
        ]),
    )])
}

pub fn health_check_to_sdk(value: &Value) -> HealthCheckConfig {
    HealthCheckConfig::builder()
        .set_enabled(b(value, "enabled"))
        .set_health_check_interval_seconds(n(value, "health_check_interval_seconds"))
        .set_health_check_timeout_seconds(n(value, "health_check_timeout_seconds"))
        .set_healthy_threshold_count(n(value, "healthy_threshold_count"))
        .set_unhealthy_threshold_count(n(value, "unhealthy_threshold_count"))
        .set_path(s(value, "path"))
        .set_port(n(value, "port"))
        .set_protocol(s(value, "protocol").map(|p| TargetGroupProtocol::from(p.as_str())))
        .set_protocol_version(
            s(value, "protocol_version").map(|p| HealthCheckProtocolVersion::from(p.as_str())),
        )
        .set_matcher(
            block(value, "matcher")
                .and_then(|m| s(m, "value"))
                .map(Matcher::HttpCode),
        )
        .build()
}

pub fn health_check_from_sdk(hc: Option<&HealthCheckConfig>) -> Value {
    let Some(hc) = hc else { return Value::Null };
    let matcher = match hc.matcher() {
        Some(Matcher::HttpCode(code)) => Value::object([("value", Value::string(code))]),
        _ => Value::Null,
    };
    Value::object([
        ("enabled", opt_bool(hc.enabled())),
        (
            "health_check_interval_seconds",
            opt_num(hc.health_check_interval_seconds()),
        ),
        (
            "health_check_timeout_seconds",
            opt_num(hc.health_check_timeout_seconds()),
        ),
        (
            "healthy_threshold_count",
            opt_num(hc.healthy_threshold_count()),
        ),
        (
            "unhealthy_threshold_count",
            opt_num(hc.unhealthy_threshold_count()),
        ),
        ("path", opt_str(hc.path())),
        ("port", opt_num(hc.port())),
        ("protocol", opt_str(hc.protocol().map(|p| p.as_str()))),
        (
            "protocol_version",
            opt_str(hc.protocol_version().map(|p| p.as_str())),
        ),
        ("matcher", matcher),
    ])
}

pub fn dns_from_sdk(dns: Option<&DnsEntry>) -> Value {
    match dns {
        Some(d) => Value::List(vec![Value::object([
            ("domain_name", opt_str(d.domain_name())),
            ("hosted_zone_id", opt_str(d.hosted_zone_id())),
        ])]),
        None => Value::List(Vec::new()),
    }
}
