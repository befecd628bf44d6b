//! Vectors written for this crate from the provider's rules (see the crate docs); the set
//! orders were derived with an independent CRC-32 (Python's `zlib.crc32`).

use super::*;

fn s(v: &str) -> Value {
    Value::string(v)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::object(pairs)
}

fn principal(ty: &str, ids: &[&str]) -> Value {
    obj(vec![("type", s(ty)), ("identifiers", list(ids))])
}

fn condition(test: &str, variable: &str, values: &[&str]) -> Value {
    obj(vec![
        ("test", s(test)),
        ("variable", s(variable)),
        ("values", list(values)),
    ])
}

fn doc(statements: Vec<Value>) -> Value {
    obj(vec![("statement", Value::List(statements))])
}

fn json_of(config: &Value) -> String {
    read(config)
        .unwrap()
        .get("json")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn minified_of(config: &Value) -> String {
    read(config)
        .unwrap()
        .get("minified_json")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn lattice_auth_policy() {
    let config = doc(vec![obj(vec![
        ("effect", s("Allow")),
        ("actions", list(&["vpc-lattice-svcs:Invoke"])),
        ("resources", list(&["*"])),
        (
            "principals",
            Value::List(vec![principal(
                "AWS",
                &["arn:aws:iam::123456789012:role/client"],
            )]),
        ),
        (
            "condition",
            Value::List(vec![condition(
                "StringEquals",
                "vpc-lattice-svcs:SourceVpc",
                &["vpc-0abc"],
            )]),
        ),
    ])]);
    let expected = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "vpc-lattice-svcs:Invoke",
      "Resource": "*",
      "Principal": {
        "AWS": "arn:aws:iam::123456789012:role/client"
      },
      "Condition": {
        "StringEquals": {
          "vpc-lattice-svcs:SourceVpc": "vpc-0abc"
        }
      }
    }
  ]
}"#;
    let out = read(&config).unwrap();
    assert_eq!(out.get("json").unwrap().as_str().unwrap(), expected);
    assert_eq!(
        out.get("minified_json").unwrap().as_str().unwrap(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Principal":{"AWS":"arn:aws:iam::123456789012:role/client"},"Condition":{"StringEquals":{"vpc-lattice-svcs:SourceVpc":"vpc-0abc"}}}]}"#
    );
    assert_eq!(
        out.get("id").unwrap().as_str().unwrap(),
        hash::crc32(expected.as_bytes()).to_string()
    );
    assert_eq!(out.get("version").unwrap().as_str(), Some("2012-10-17"));
}

#[test]
fn id_is_crc32_of_json_in_decimal() {
    // {"Version": "2012-10-17"} pretty-printed; checksum computed with zlib.crc32.
    let out = read(&obj(vec![])).unwrap();
    assert_eq!(
        out.get("json").unwrap().as_str(),
        Some("{\n  \"Version\": \"2012-10-17\"\n}")
    );
    assert_eq!(out.get("id").unwrap().as_str(), Some("1132004489"));
}

#[test]
fn one_action_is_a_string_several_sorted_descending_and_deduplicated() {
    let config = doc(vec![obj(vec![
        ("sid", s("1")),
        (
            "actions",
            list(&[
                "s3:ListBucket",
                "s3:GetObject",
                "s3:PutObject",
                "s3:GetObject",
            ]),
        ),
        ("resources", list(&["arn:aws:s3:::b"])),
    ])]);
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"1","Effect":"Allow","Action":["s3:PutObject","s3:ListBucket","s3:GetObject"],"Resource":"arn:aws:s3:::b"}]}"#
    );
}

#[test]
fn not_forms_and_deny_and_key_order() {
    let config = doc(vec![obj(vec![
        ("effect", s("Deny")),
        ("not_actions", list(&["s3:*"])),
        ("not_resources", list(&["arn:aws:s3:::a", "arn:aws:s3:::b"])),
        (
            "not_principals",
            Value::List(vec![principal("AWS", &["arn:aws:iam::1:root"])]),
        ),
    ])]);
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::a"],"NotPrincipal":{"AWS":"arn:aws:iam::1:root"}}]}"#
    );
}

#[test]
fn empty_sid_is_omitted_and_effect_defaults_to_allow() {
    let config = doc(vec![obj(vec![("sid", s("")), ("actions", list(&["a:b"]))])]);
    let out = read(&config).unwrap();
    assert_eq!(
        out.get("minified_json").unwrap().as_str(),
        Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b"}]}"#)
    );
    assert_eq!(
        out.get_path(&Path::parse("statement[0].effect").unwrap())
            .unwrap()
            .as_str(),
        Some("Allow")
    );
}

#[test]
fn star_principal_and_aws_star() {
    let config = doc(vec![
        obj(vec![
            ("actions", list(&["a:b"])),
            ("principals", Value::List(vec![principal("*", &["*"])])),
        ]),
        obj(vec![
            ("actions", list(&["a:b"])),
            ("principals", Value::List(vec![principal("AWS", &["*"])])),
        ]),
    ]);
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Principal":"*"},{"Effect":"Allow","Action":"a:b","Principal":{"AWS":"*"}}]}"#
    );
}

#[test]
fn principals_of_one_type_merge_in_set_order() {
    // Set codes: the single-identifier block hashes to 2337232654, the other to 944886651;
    // as strings "2337..." sorts first (as numbers it would be second).
    let config = doc(vec![obj(vec![
        ("actions", list(&["a:b"])),
        (
            "principals",
            Value::List(vec![
                principal(
                    "AWS",
                    &[
                        "arn:aws:iam::222222222222:root",
                        "arn:aws:iam::333333333333:root",
                    ],
                ),
                principal("Service", &["lambda.amazonaws.com"]),
                principal("AWS", &["arn:aws:iam::111111111111:root"]),
            ]),
        ),
    ])]);
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::333333333333:root","arn:aws:iam::222222222222:root"],"Service":"lambda.amazonaws.com"}}]}"#
    );
}

#[test]
fn conditions_merge_in_set_order_and_keep_value_order() {
    // Set codes: ["vpc-1"] hashes to 85612180, ["vpc-2","vpc-3"] to 199244634; "1992..."
    // sorts first as a string.
    let config = doc(vec![obj(vec![
        ("actions", list(&["a:b"])),
        (
            "condition",
            Value::List(vec![
                condition("StringEquals", "vpc-lattice-svcs:SourceVpc", &["vpc-1"]),
                condition(
                    "StringEquals",
                    "vpc-lattice-svcs:SourceVpc",
                    &["vpc-2", "vpc-3"],
                ),
                condition("Bool", "aws:SecureTransport", &["true"]),
                condition("StringLike", "s3:prefix", &["home/", "", "a/"]),
            ]),
        ),
    ])]);
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"vpc-lattice-svcs:SourceVpc":["vpc-2","vpc-3","vpc-1"]},"StringLike":{"s3:prefix":["home/","","a/"]}}}]}"#
    );
}

#[test]
fn policy_variables_are_rewritten_and_refused_in_2008() {
    let statement = obj(vec![
        ("actions", list(&["s3:GetObject"])),
        ("resources", list(&["arn:aws:s3:::b/&{aws:username}/*"])),
    ]);
    assert!(minified_of(&doc(vec![statement.clone()]))
        .contains(r#""Resource":"arn:aws:s3:::b/${aws:username}/*""#));
    let mut old = doc(vec![statement]);
    old.set_path(&Path::from_keys(["version"]), s("2008-10-17"));
    let err = read(&old).unwrap_err();
    assert!(err
        .to_string()
        .contains("not supported in document version 2008-10-17"));
}

#[test]
fn pretty_and_minified_differ_only_in_whitespace_and_escape_html() {
    let config = doc(vec![obj(vec![
        ("actions", list(&["a:b"])),
        (
            "condition",
            Value::List(vec![condition("StringLike", "k", &["<&>"])]),
        ),
    ])]);
    let pretty = json_of(&config);
    assert!(pretty.contains("\n          \"k\": \"\\u003c\\u0026\\u003e\""));
    let squeezed: String = pretty
        .lines()
        .map(|l| l.trim_start().replacen("\": ", "\":", 1))
        .collect();
    assert_eq!(squeezed, minified_of(&config));
}

#[test]
fn source_documents_merge_then_statements_replace_by_sid() {
    let source = r#"{"Version":"2012-10-17","Id":"src","Statement":[
        {"Sid":"Keep","Effect":"Allow","Action":["b:b","a:a"],"Resource":"*","Principal":{"AWS":["x","z","y"]}},
        {"Sid":"Replace","Effect":"Allow","Action":"old:old","Resource":"*"},
        {"Effect":"Deny","Action":"n:n","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
    let mut config = doc(vec![
        obj(vec![("sid", s("Replace")), ("actions", list(&["new:new"]))]),
        obj(vec![("actions", list(&["plain:plain"]))]),
    ]);
    config.set_path(
        &Path::from_keys(["source_policy_documents"]),
        Value::List(vec![s(source)]),
    );
    config.set_path(&Path::from_keys(["policy_id"]), s("mine"));
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Id":"mine","Statement":[{"Sid":"Keep","Effect":"Allow","Action":["b:b","a:a"],"Resource":"*","Principal":{"AWS":["z","y","x"]}},{"Sid":"Replace","Effect":"Allow","Action":"new:new"},{"Effect":"Deny","Action":"n:n","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Effect":"Allow","Action":"plain:plain"}]}"#
    );
}

#[test]
fn override_documents_replace_by_sid_and_append_the_rest() {
    let mut config = doc(vec![
        obj(vec![("sid", s("A")), ("actions", list(&["a:a"]))]),
        obj(vec![("sid", s("B")), ("actions", list(&["b:b"]))]),
    ]);
    config.set_path(
        &Path::from_keys(["override_policy_documents"]),
        Value::List(vec![
            s(r#"{"Statement":[{"Sid":"B","Effect":"Deny","Action":"b:b"},{"Effect":"Allow","Action":"c:c"}]}"#),
            Value::Null,
            s(r#"{"Id":"over","Statement":[{"Sid":"A","Effect":"Allow","Action":"z:z","Principal":"anyone"}]}"#),
        ]),
    );
    assert_eq!(
        minified_of(&config),
        r#"{"Version":"2012-10-17","Id":"over","Statement":[{"Sid":"A","Effect":"Allow","Action":"z:z","Principal":"*"},{"Sid":"B","Effect":"Deny","Action":"b:b"},{"Effect":"Allow","Action":"c:c"}]}"#
    );
}

#[test]
fn errors_the_provider_refuses() {
    let dup = doc(vec![
        obj(vec![("sid", s("X")), ("actions", list(&["a:a"]))]),
        obj(vec![("sid", s("X")), ("actions", list(&["b:b"]))]),
    ]);
    assert_eq!(
        read(&dup).unwrap_err(),
        Error::DuplicateSid {
            index: 1,
            sid: "X".into()
        }
    );

    let mut sources = obj(vec![]);
    sources.set_path(
        &Path::from_keys(["source_policy_documents"]),
        list(&[
            r#"{"Statement":[{"Sid":"S","Action":"a:a"}]}"#,
            r#"{"Statement":[{"Sid":"S","Action":"b:b"}]}"#,
        ]),
    );
    assert_eq!(
        read(&sources).unwrap_err(),
        Error::DuplicateSourceSid {
            document: 1,
            statement: 0,
            sid: "S".into()
        }
    );

    let effect = doc(vec![obj(vec![("effect", s("allow"))])]);
    assert!(
        matches!(read(&effect).unwrap_err(), Error::Invalid { path, .. } if path == "statement[0].effect")
    );

    let mut bad_json = obj(vec![]);
    bad_json.set_path(
        &Path::from_keys(["override_policy_documents"]),
        list(&["{not json"]),
    );
    assert!(matches!(
        read(&bad_json).unwrap_err(),
        Error::Document {
            argument: "override_policy_documents",
            index: 0,
            ..
        }
    ));

    let mut version = obj(vec![]);
    version.set_path(&Path::from_keys(["version"]), s("2020-01-01"));
    assert!(read(&version).is_err());

    let mut legacy = obj(vec![]);
    legacy.set_path(&Path::from_keys(["source_json"]), s("{}"));
    assert!(read(&legacy)
        .unwrap_err()
        .to_string()
        .contains("source_policy_documents"));

    let mut numeric = obj(vec![]);
    numeric.set_path(
        &Path::from_keys(["source_policy_documents"]),
        list(&[r#"{"Statement":[{"Condition":{"NumericLessThan":{"k":5}}}]}"#]),
    );
    assert!(read(&numeric).is_err());
}

#[test]
fn unknown_config_gives_unknown_json_and_sensitive_marks_it() {
    let unknown = doc(vec![obj(vec![(
        "actions",
        Value::List(vec![Value::Unknown]),
    )])]);
    let out = read(&unknown).unwrap();
    assert!(out.get("json").unwrap().is_unknown());
    assert!(out.get("id").unwrap().is_unknown());

    let secret = doc(vec![obj(vec![(
        "resources",
        Value::List(vec![s("arn:secret").into_sensitive()]),
    )])]);
    let out = read(&secret).unwrap();
    assert!(out.get("json").unwrap().is_sensitive());
    assert!(out
        .get("json")
        .unwrap()
        .as_str()
        .unwrap()
        .contains("arn:secret"));
}

#[test]
fn null_computed_attributes_as_the_engine_hands_them_in_give_a_known_document() {
    // At plan and at apply time the engine passes the configuration: inputs known, the
    // computed `json`, `minified_json` and `id` null.
    let mut config = doc(vec![obj(vec![(
        "actions",
        Value::List(vec![s("vpc-lattice-svcs:Invoke")]),
    )])]);
    for k in ["json", "minified_json", "id"] {
        config.set_path(&trellis_types::Path::from_keys([k]), Value::Null);
    }
    let out = read(&config).unwrap();
    let json = out.get("json").unwrap().as_str().unwrap();
    assert!(
        json.contains("\"Action\": \"vpc-lattice-svcs:Invoke\""),
        "{json}"
    );
    assert!(!out.get("id").unwrap().is_unknown());
}

#[test]
fn schema_has_terraform_names() {
    let schema = schema();
    let b = &schema.block;
    for a in [
        "version",
        "policy_id",
        "source_policy_documents",
        "override_policy_documents",
        "json",
        "minified_json",
        "id",
    ] {
        assert!(b.attributes.contains_key(a), "{a}");
    }
    let st = &b.blocks["statement"];
    assert_eq!(st.nesting, Nesting::List);
    for a in [
        "sid",
        "effect",
        "actions",
        "not_actions",
        "resources",
        "not_resources",
    ] {
        assert!(st.block.attributes.contains_key(a), "{a}");
    }
    for blk in ["principals", "not_principals", "condition"] {
        assert_eq!(st.block.blocks[blk].nesting, Nesting::Set, "{blk}");
    }
    assert!(b.attributes["json"].computed);
}
