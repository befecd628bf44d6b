//! Reading auth policies: only what the checks need, no IAM evaluation.

use serde_json::Value as Json;

/// Whether an IAM policy document has an `Allow` statement for any principal (`"*"`,
/// `{"AWS": "*"}` or a list holding `"*"`) with no `Condition`. A document that is not JSON
/// is not judged (false).
pub fn allows_any_principal_unconditionally(document: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Json>(document) else {
        return false;
    };
    let statements = match policy.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => return false,
    };
    statements.into_iter().any(|s| {
        let allow = s.get("Effect").and_then(Json::as_str) == Some("Allow");
        let unconditional = match s.get("Condition") {
            None | Some(Json::Null) => true,
            Some(Json::Object(map)) => map.is_empty(),
            Some(_) => false,
        };
        allow && unconditional && s.get("Principal").is_some_and(is_any_principal)
    })
}

fn is_any_principal(principal: &Json) -> bool {
    match principal {
        Json::String(s) => s == "*",
        Json::Array(items) => items.iter().any(is_any_principal),
        Json::Object(map) => map.get("AWS").is_some_and(is_any_principal),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::allows_any_principal_unconditionally as open;

    #[test]
    fn any_principal_forms() {
        assert!(open(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#
        ));
        assert!(open(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"}}}"#
        ));
        assert!(open(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]}}]}"#
        ));
        assert!(open(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{}}]}"#
        ));
    }

    #[test]
    fn conditions_named_principals_denies_and_garbage_are_not_open() {
        assert!(!open(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#
        ));
        assert!(!open(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}"#
        ));
        assert!(!open(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*"}]}"#
        ));
        assert!(!open("not json"));
        assert!(!open(r#"{"Version":"2012-10-17"}"#));
    }
}
