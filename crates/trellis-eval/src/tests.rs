//! Unit tests with plain data: snippets parsed by hcl-edit, a scope backed by maps.

use std::collections::{BTreeMap, HashMap};

use hcl_edit::expr::Expression;
use trellis_types::{Diagnostics, Mode, SourceFile, Value};

use crate::*;

#[derive(Default)]
struct TestScope {
    vars: HashMap<String, Value>,
    locals: HashMap<String, Value>,
    resources: HashMap<(Mode, String, String), Value>,
    count: Option<Value>,
    each: Option<(Value, Value)>,
    files: HashMap<String, String>,
}

impl Scope for TestScope {
    fn variable(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }
    fn local(&self, name: &str) -> Option<Value> {
        self.locals.get(name).cloned()
    }
    fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<Value> {
        self.resources
            .get(&(mode, type_name.to_string(), name.to_string()))
            .cloned()
    }
    fn count_index(&self) -> Option<Value> {
        self.count.clone()
    }
    fn each(&self) -> Option<(Value, Value)> {
        self.each.clone()
    }
    fn path(&self, which: &str) -> Option<String> {
        match which {
            "module" => Some(".".to_string()),
            "root" => Some(".".to_string()),
            "cwd" => Some("/work".to_string()),
            _ => None,
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        if self.files.contains_key(path) {
            return Ok(true);
        }
        let dir = format!("{path}/");
        if self.files.keys().any(|f| f.starts_with(&dir)) {
            return Err(format!("{path} is not a regular file"));
        }
        Ok(false)
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        Ok(self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(prefix.as_str()))
            .map(str::to_string)
            .collect())
    }
    fn working_dir(&self) -> Option<String> {
        Some("/work/mesh".to_string())
    }
    fn home_dir(&self) -> Option<String> {
        Some("/home/ops".to_string())
    }
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn n(v: f64) -> Value {
    Value::Number(v)
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn scope() -> TestScope {
    let mut sc = TestScope::default();
    sc.vars.insert("name".into(), s("api"));
    sc.vars.insert("port".into(), n(443.0));
    sc.vars
        .insert("secret".into(), s("hunter2").into_sensitive());
    sc.vars.insert("unknown".into(), Value::Unknown);
    sc.vars.insert("nothing".into(), Value::Null);
    sc.vars.insert(
        "tags".into(),
        Value::object([("env", s("prod")), ("team", s("mesh"))]),
    );
    sc.vars
        .insert("ports".into(), list(vec![n(80.0), n(443.0)]));
    sc.vars.insert(
        "rules".into(),
        list(vec![
            Value::object([("name", s("a")), ("priority", n(10.0))]),
            Value::object([("name", s("b")), ("priority", n(20.0))]),
        ]),
    );
    sc.vars
        .insert("partial".into(), list(vec![s("a"), Value::Unknown]));
    sc.locals.insert("prefix".into(), s("mesh"));
    sc.resources.insert(
        (Mode::Managed, "aws_vpclattice_service".into(), "api".into()),
        Value::object([
            ("arn", s("arn:svc")),
            ("id", s("svc-1")),
            ("dns_entry", Value::Unknown),
        ]),
    );
    sc.resources.insert(
        (
            Mode::Managed,
            "aws_vpclattice_service".into(),
            "many".into(),
        ),
        list(vec![
            Value::object([("id", s("svc-a"))]),
            Value::object([("id", s("svc-b"))]),
        ]),
    );
    sc.resources.insert(
        (
            Mode::Managed,
            "aws_vpclattice_listener".into(),
            "by_key".into(),
        ),
        Value::object([
            ("http", Value::object([("port", n(80.0))])),
            ("https", Value::object([("port", n(443.0))])),
        ]),
    );
    sc.resources.insert(
        (
            Mode::Managed,
            "aws_vpclattice_service".into(),
            "later".into(),
        ),
        Value::Unknown,
    );
    sc.resources.insert(
        (Mode::Data, "aws_caller_identity".into(), "current".into()),
        Value::object([("account_id", s("123456789012"))]),
    );
    sc.files.insert("policy.json".into(), "{\"a\": 1}".into());
    sc.files.insert(
        "greet.tpl".into(),
        "Hello, ${name}!\n%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n".into(),
    );
    sc.files
        .insert("bad.tpl".into(), "line one\n${nope}\n".into());
    sc
}

fn parse(src: &str) -> Expression {
    src.parse::<Expression>()
        .unwrap_or_else(|e| panic!("parse {src:?}: {e}"))
}

fn eval_with(sc: &TestScope, src: &str) -> Result<Value, Diagnostics> {
    let file = SourceFile::new("main.tf", src);
    eval_expr(&parse(src), sc, &file)
}

fn ev(src: &str) -> Value {
    eval_with(&scope(), src).unwrap_or_else(|e| panic!("eval {src:?}: {e}"))
}

fn err(src: &str) -> String {
    match eval_with(&scope(), src) {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(d) => d.to_string().trim_end().to_string(),
    }
}

/// Evaluates an expression placed on line 2 of a file, for checking line:col of errors.
fn err_in_file(src: &str) -> String {
    let text = format!("x = 1\ny = {src}\n");
    let body = hcl_edit::parser::parse_body(&text).expect("parse");
    let file = SourceFile::new("main.tf", text.as_str());
    match eval_body(&body, &[], &scope(), &file) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(d) => d.to_string().trim_end().to_string(),
    }
}

fn body(src: &str, skip: &[&str]) -> Result<Value, Diagnostics> {
    let parsed = hcl_edit::parser::parse_body(src).expect("parse");
    let file = SourceFile::new("main.tf", src);
    eval_body(&parsed, skip, &scope(), &file)
}

// ---------------------------------------------------------------------------------------------
// Literals, operators, conditionals.

#[test]
fn literals() {
    assert_eq!(ev("null"), Value::Null);
    assert_eq!(ev("true"), Value::Bool(true));
    assert_eq!(ev("1.5"), n(1.5));
    assert_eq!(ev("\"a\""), s("a"));
    assert_eq!(ev("[1, \"b\"]"), list(vec![n(1.0), s("b")]));
    assert_eq!(
        ev("{ a = 1, \"b\" = 2, (local.prefix) = 3 }"),
        Value::object([("a", n(1.0)), ("b", n(2.0)), ("mesh", n(3.0))])
    );
}

#[test]
fn arithmetic_and_comparison() {
    assert_eq!(ev("1 + 2 * 3"), n(7.0));
    assert_eq!(ev("(1 + 2) * 3"), n(9.0));
    assert_eq!(ev("7 % 4"), n(3.0));
    assert_eq!(ev("10 / 4"), n(2.5));
    assert_eq!(ev("-var.port"), n(-443.0));
    assert_eq!(ev("\"5\" + 1"), n(6.0));
    assert_eq!(ev("1 < 2"), Value::Bool(true));
    assert_eq!(ev("2 >= 3"), Value::Bool(false));
    assert_eq!(ev("var.name == \"api\""), Value::Bool(true));
    assert_eq!(ev("[1, 2] == [1, 2]"), Value::Bool(true));
    assert_eq!(ev("1 == \"1\""), Value::Bool(false));
    assert_eq!(ev("var.nothing == null"), Value::Bool(true));
    assert_eq!(ev("!true || false"), Value::Bool(false));
    assert_eq!(ev("true && !false"), Value::Bool(true));
}

#[test]
fn division_by_zero_is_a_diagnostic() {
    assert_eq!(err("1 / 0"), "main.tf:1:5: error: division by zero");
    assert_eq!(err("1 % 0"), "main.tf:1:5: error: modulo by zero");
    assert!(err("\"a\" + 1").contains("operator \"+\" needs a number, got string"));
}

#[test]
fn logic_short_circuits() {
    assert_eq!(
        ev("var.nothing != null && var.nothing.x"),
        Value::Bool(false)
    );
    assert_eq!(
        ev("var.nothing == null || var.nothing.x"),
        Value::Bool(true)
    );
    assert_eq!(ev("false && var.unknown"), Value::Bool(false));
    assert_eq!(ev("true && var.unknown"), Value::Unknown);
    assert_eq!(ev("var.unknown || true"), Value::Bool(true));
}

#[test]
fn conditionals() {
    assert_eq!(ev("var.port == 443 ? \"https\" : \"http\""), s("https"));
    assert_eq!(ev("false ? var.nothing.x : 2"), n(2.0));
    assert_eq!(ev("var.unknown ? 1 : 2"), Value::Unknown);
    assert_eq!(ev("var.secret == \"x\" ? 1 : 2"), n(2.0).into_sensitive());
    assert!(err("1 ? 2 : 3").contains("condition must be a bool, got number"));
    assert!(err("var.nothing ? 2 : 3").contains("condition is null"));
}

// ---------------------------------------------------------------------------------------------
// References.

#[test]
fn references_resolve() {
    assert_eq!(ev("var.name"), s("api"));
    assert_eq!(ev("local.prefix"), s("mesh"));
    assert_eq!(ev("aws_vpclattice_service.api.arn"), s("arn:svc"));
    assert_eq!(ev("aws_vpclattice_service.many[1].id"), s("svc-b"));
    assert_eq!(
        ev("aws_vpclattice_listener.by_key[\"https\"].port"),
        n(443.0)
    );
    assert_eq!(
        ev("data.aws_caller_identity.current.account_id"),
        s("123456789012")
    );
    assert_eq!(ev("path.module"), s("."));
    assert_eq!(ev("terraform.workspace"), s("default"));
    assert_eq!(ev("var.tags.env"), s("prod"));
    assert_eq!(ev("var.tags[\"team\"]"), s("mesh"));
    assert_eq!(ev("var.ports.0"), n(80.0));
}

#[test]
fn count_and_each() {
    let mut sc = scope();
    assert!(eval_with(&sc, "count.index").is_err());
    sc.count = Some(n(2.0));
    sc.each = Some((s("k"), Value::object([("port", n(1.0))])));
    assert_eq!(eval_with(&sc, "count.index + 1").unwrap(), n(3.0));
    assert_eq!(eval_with(&sc, "each.key").unwrap(), s("k"));
    assert_eq!(eval_with(&sc, "each.value.port").unwrap(), n(1.0));
}

#[test]
fn reference_errors_point_at_the_reference() {
    assert_eq!(
        err_in_file("var.nope"),
        "main.tf:2:5: error: reference to undeclared input variable \"nope\""
    );
    assert_eq!(
        err_in_file("aws_vpclattice_service.nope.arn"),
        "main.tf:2:5: error: reference to undeclared resource \"aws_vpclattice_service.nope\""
    );
    assert_eq!(
        err_in_file("aws_vpclattice_service.api.aarn"),
        "main.tf:2:31: error: unsupported attribute \"aarn\"; did you mean \"arn\"?"
    );
    assert_eq!(
        err_in_file("aws_vpclattice_service.many[5].id"),
        "main.tf:2:32: error: index 5 is out of range for a list of 2 elements"
    );
    assert_eq!(
        err_in_file("var.tags[\"nope\"]"),
        "main.tf:2:13: error: key \"nope\" does not exist"
    );
    assert_eq!(
        err_in_file("each.key"),
        "main.tf:2:5: error: reference to \"each\" in a context without for_each"
    );
    assert!(err_in_file("var.nothing.x").contains("cannot get attribute \"x\" of a null value"));
    assert!(err_in_file("var.rules.name").contains("cannot get attribute \"name\" of a list"));
    assert!(err_in_file("var").contains("invalid reference"));
    assert!(err_in_file("foo").contains("unknown variable \"foo\""));
}

// ---------------------------------------------------------------------------------------------
// Templates.

#[test]
fn templates() {
    assert_eq!(ev("\"${var.name}-${var.port}\""), s("api-443"));
    assert_eq!(ev("\"${var.ports}\""), list(vec![n(80.0), n(443.0)]));
    assert_eq!(ev("\"a $${b} %%{c}\""), s("a ${b} %{c}"));
    assert_eq!(
        ev("\"%{ if var.port == 443 }tls%{ else }plain%{ endif }\""),
        s("tls")
    );
    assert_eq!(
        ev("\"%{ for p in var.ports }${p},%{ endfor }\""),
        s("80,443,")
    );
    assert_eq!(
        ev("\"%{ for i, p in var.ports }${i}=${p} %{ endfor }\""),
        s("0=80 1=443 ")
    );
    assert!(err("\"x${var.nothing}\"").contains("cannot include null in a template"));
    assert!(err("\"x${var.ports}\"").contains("cannot include a list in a template"));
}

#[test]
fn heredocs_and_strip_markers() {
    let src = "<<EOT\nhello ${var.name}\nEOT";
    assert_eq!(ev(src), s("hello api\n"));
    let src = "<<-EOT\n    indented\n      more\n    EOT";
    assert_eq!(ev(src), s("indented\n  more\n"));
    let src = "<<EOT\n%{ for p in var.ports ~}\nport ${p}\n%{ endfor ~}\nEOT";
    assert_eq!(ev(src), s("port 80\nport 443\n"));
    assert_eq!(ev("\"a   ${~ \"b\" ~}   c\""), s("abc"));
    let src = "<<EOT\n%{~ if true ~}\n  yes\n%{~ else ~}\n  no\n%{~ endif ~}\nEOT";
    assert_eq!(ev(src), s("yes"));
}

// ---------------------------------------------------------------------------------------------
// For expressions and splats.

#[test]
fn for_expressions() {
    assert_eq!(
        ev("[for p in var.ports : p * 2]"),
        list(vec![n(160.0), n(886.0)])
    );
    assert_eq!(
        ev("[for i, p in var.ports : i]"),
        list(vec![n(0.0), n(1.0)])
    );
    assert_eq!(
        ev("[for p in var.ports : p if p > 100]"),
        list(vec![n(443.0)])
    );
    assert_eq!(
        ev("{for k, v in var.tags : upper(k) => v}"),
        Value::object([("ENV", s("prod")), ("TEAM", s("mesh"))])
    );
    assert_eq!(
        ev("{for r in var.rules : r.name => r.priority}"),
        Value::object([("a", n(10.0)), ("b", n(20.0))])
    );
    assert_eq!(
        ev("{for p in [1, 2, 3] : (p % 2 == 0 ? \"even\" : \"odd\") => p...}"),
        Value::object([
            ("even", list(vec![n(2.0)])),
            ("odd", list(vec![n(1.0), n(3.0)]))
        ])
    );
    assert!(err("{for p in [1, 1] : p => p}").contains("duplicate object key \"1\""));
    assert_eq!(ev("[for p in var.unknown : p]"), Value::Unknown);
    assert_eq!(
        ev("[for p in var.partial : p]"),
        list(vec![s("a"), Value::Unknown])
    );
    assert_eq!(
        ev("[for p in var.partial : p if p == \"a\"]"),
        Value::Unknown
    );
    // A for variable shadows nothing outside the expression.
    assert!(err("[for x in [1] : x][0] + x").contains("unknown variable \"x\""));
}

#[test]
fn splats() {
    assert_eq!(ev("var.rules[*].name"), strs(&["a", "b"]));
    assert_eq!(ev("var.rules.*.name"), strs(&["a", "b"]));
    assert_eq!(
        ev("aws_vpclattice_service.many[*].id"),
        strs(&["svc-a", "svc-b"])
    );
    assert_eq!(ev("length(var.rules[*].name)"), n(2.0));
    assert_eq!(ev("var.rules.*.name[1]"), s("b"));
    // A full splat applies every operator after it to each element: `[1]` indexes each name.
    assert!(err("var.rules[*].name[1]").contains("cannot index a string"));
    assert_eq!(ev("var.nothing[*].id"), list(vec![]));
    assert_eq!(ev("var.tags[*].env"), strs(&["prod"]));
    assert_eq!(ev("aws_vpclattice_service.later[*].id"), Value::Unknown);
}

// ---------------------------------------------------------------------------------------------
// Unknown and sensitive propagation.

#[test]
fn unknown_propagates() {
    assert_eq!(ev("var.unknown + 1"), Value::Unknown);
    assert_eq!(ev("\"x-${var.unknown}\""), Value::Unknown);
    assert_eq!(
        ev("aws_vpclattice_service.api.dns_entry[0].domain_name"),
        Value::Unknown
    );
    assert_eq!(ev("aws_vpclattice_service.later.arn"), Value::Unknown);
    assert_eq!(ev("upper(var.unknown)"), Value::Unknown);
    assert_eq!(ev("length(var.partial)"), n(2.0));
    assert_eq!(ev("join(\",\", var.partial)"), Value::Unknown);
    assert_eq!(ev("var.partial == [\"a\"]"), Value::Unknown);
    assert_eq!(ev("try(var.unknown, \"x\")"), Value::Unknown);
    assert_eq!(ev("can(var.unknown)"), Value::Unknown);
    assert_eq!(ev("coalesce(null, var.unknown, \"x\")"), Value::Unknown);
    assert_eq!(ev("coalesce(\"a\", var.unknown)"), s("a"));
    assert_eq!(
        ev("{ a = var.unknown }"),
        Value::object([("a", Value::Unknown)])
    );
    assert_eq!(ev("{ (var.unknown) = 1 }"), Value::Unknown);
    assert_eq!(ev("var.ports[var.unknown]"), Value::Unknown);
    assert_eq!(
        ev("merge({a = 1}, {b = var.unknown})"),
        Value::object([("a", n(1.0)), ("b", Value::Unknown)])
    );
}

#[test]
fn sensitive_propagates() {
    let secret = ev("var.secret");
    assert!(secret.is_sensitive());
    assert_eq!(ev("\"x-${var.secret}\""), s("x-hunter2").into_sensitive());
    assert_eq!(ev("upper(var.secret)"), s("HUNTER2").into_sensitive());
    assert_eq!(ev("length(var.secret)"), n(7.0).into_sensitive());
    assert_eq!(
        ev("var.secret == \"hunter2\""),
        Value::Bool(true).into_sensitive()
    );
    assert_eq!(
        ev("[for c in [var.secret] : c]"),
        list(vec![s("hunter2").into_sensitive()])
    );
    assert_eq!(
        ev("{ a = var.secret, b = 1 }"),
        Value::object([("a", s("hunter2").into_sensitive()), ("b", n(1.0))])
    );
    assert_eq!(
        ev("jsonencode({ p = var.secret })"),
        s("{\"p\":\"hunter2\"}").into_sensitive()
    );
    assert_eq!(ev("nonsensitive(var.secret)"), s("hunter2"));
    assert_eq!(ev("sensitive(1)"), n(1.0).into_sensitive());
    assert_eq!(ev("tostring(var.secret)"), s("hunter2").into_sensitive());
    // Elements keep their own marks through collection functions.
    assert_eq!(
        ev("concat([var.secret], [\"b\"])"),
        list(vec![s("hunter2").into_sensitive(), s("b")])
    );
    assert_eq!(
        ev("flatten([[var.secret], [\"b\"]])"),
        list(vec![s("hunter2").into_sensitive(), s("b")])
    );
}

// ---------------------------------------------------------------------------------------------
// Functions.

#[test]
fn string_functions() {
    assert_eq!(ev("lower(\"AbC\")"), s("abc"));
    assert_eq!(ev("upper(\"AbC\")"), s("ABC"));
    assert_eq!(ev("trimspace(\"  a b \\n\")"), s("a b"));
    assert_eq!(ev("trim(\"?!hello?!\", \"!?\")"), s("hello"));
    assert_eq!(ev("trimprefix(\"helloworld\", \"hello\")"), s("world"));
    assert_eq!(ev("trimsuffix(\"helloworld\", \"world\")"), s("hello"));
    assert_eq!(ev("title(\"hello world-wide\")"), s("Hello World-Wide"));
    assert_eq!(ev("join(\"-\", [\"a\", \"b\"], [1])"), s("a-b-1"));
    assert_eq!(ev("split(\",\", \"a,b,,c\")"), strs(&["a", "b", "", "c"]));
    assert_eq!(ev("split(\",\", \"\")"), strs(&[""]));
    assert_eq!(ev("replace(\"a-b-c\", \"-\", \"_\")"), s("a_b_c"));
    assert_eq!(ev("replace(\"a1b22\", \"/[0-9]+/\", \"#\")"), s("a#b#"));
    assert_eq!(
        ev("replace(\"svc-api\", \"/svc-(\\\\w+)/\", \"$1-svc\")"),
        s("api-svc")
    );
    assert_eq!(ev("substr(\"hello world\", 1, 4)"), s("ello"));
    assert_eq!(ev("substr(\"hello world\", -5, -1)"), s("world"));
    assert_eq!(ev("substr(\"héllo\", 1, 2)"), s("él"));
    assert_eq!(ev("startswith(\"hello\", \"he\")"), Value::Bool(true));
    assert_eq!(ev("endswith(\"hello\", \"lo\")"), Value::Bool(true));
    assert_eq!(ev("strcontains(\"hello\", \"ell\")"), Value::Bool(true));
    assert_eq!(ev("strcontains(\"hello\", \"xyz\")"), Value::Bool(false));
    assert_eq!(ev("chomp(\"a\\n\\n\")"), s("a"));
    assert_eq!(ev("strrev(\"abc\")"), s("cba"));
    assert_eq!(ev("indent(2, \"a\\nb\")"), s("a\n  b"));
    assert_eq!(ev("regex(\"[a-z]+\", \"53abc\")"), s("abc"));
    assert_eq!(
        ev("regex(\"(\\\\d+)-(\\\\d+)\", \"10-20\")"),
        strs(&["10", "20"])
    );
    assert_eq!(
        ev("regex(\"(?P<a>\\\\d+)\", \"x7\")"),
        Value::object([("a", s("7"))])
    );
    assert_eq!(ev("regexall(\"\\\\d\", \"a1b2\")"), strs(&["1", "2"]));
    assert!(err("regex(\"x\", \"abc\")").contains("pattern did not match"));
    assert!(err("regex(\"(\", \"abc\")").contains("invalid regular expression"));
}

#[test]
fn format_functions() {
    assert_eq!(ev("format(\"%s-%d\", \"a\", 5)"), s("a-5"));
    assert_eq!(ev("format(\"%q\", \"a\")"), s("\"a\""));
    assert_eq!(
        ev("format(\"%v %v %v\", 1.5, true, [1])"),
        s("1.5 true [1]")
    );
    assert_eq!(ev("format(\"%.2f\", 3.14159)"), s("3.14"));
    assert_eq!(
        ev("format(\"%5d|%-5d|%05d\", 42, 42, 42)"),
        s("   42|42   |00042")
    );
    assert_eq!(ev("format(\"%t %%\", true)"), s("true %"));
    assert_eq!(ev("format(\"%x %e\", 255, 1500)"), s("ff 1.500000e+03"));
    assert_eq!(ev("format(\"%[2]s %[1]s\", \"a\", \"b\")"), s("b a"));
    assert!(err("format(\"%d\", 1.5)").contains("a whole number is required"));
    assert!(err("format(\"%s %s\", \"a\")").contains("not enough arguments"));
    assert!(err("format(\"%s\", \"a\", \"b\")").contains("too many arguments"));
    assert!(err("format(\"%999999999s\", \"a\")").contains("too large"));
    assert_eq!(
        ev("formatlist(\"%s:%d\", [\"a\", \"b\"], 80)"),
        strs(&["a:80", "b:80"])
    );
    assert!(err("formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])").contains("elements"));
}

#[test]
fn collection_functions() {
    assert_eq!(ev("length([1, 2, 3])"), n(3.0));
    assert_eq!(ev("length({a = 1})"), n(1.0));
    assert_eq!(ev("length(\"héllo\")"), n(5.0));
    assert_eq!(ev("lookup(var.tags, \"env\")"), s("prod"));
    assert_eq!(ev("lookup(var.tags, \"nope\", \"dflt\")"), s("dflt"));
    assert!(err("lookup(var.tags, \"nope\")").contains("key \"nope\" does not exist"));
    assert_eq!(
        ev("merge({a = 1, b = 2}, null, {b = 3})"),
        Value::object([("a", n(1.0)), ("b", n(3.0))])
    );
    assert_eq!(
        ev("concat([1], [], [2, 3])"),
        list(vec![n(1.0), n(2.0), n(3.0)])
    );
    assert_eq!(
        ev("flatten([[1, [2]], [], 3])"),
        list(vec![n(1.0), n(2.0), n(3.0)])
    );
    assert_eq!(
        ev("distinct([1, 2, 1, 3, 2])"),
        list(vec![n(1.0), n(2.0), n(3.0)])
    );
    assert_eq!(ev("keys({b = 1, a = 2})"), strs(&["a", "b"]));
    assert_eq!(ev("values({b = 1, a = 2})"), list(vec![n(2.0), n(1.0)]));
    assert_eq!(ev("contains([\"a\", \"b\"], \"b\")"), Value::Bool(true));
    assert_eq!(ev("contains([1, 2], 3)"), Value::Bool(false));
    assert_eq!(ev("element([\"a\", \"b\"], 3)"), s("b"));
    assert!(err("element([], 0)").contains("empty list"));
    assert_eq!(ev("index([\"a\", \"b\"], \"b\")"), n(1.0));
    assert!(err("index([\"a\"], \"z\")").contains("item not found"));
    assert_eq!(ev("coalesce(null, \"\", \"x\")"), s("x"));
    assert!(err("coalesce(null, \"\")").contains("no non-null"));
    assert_eq!(ev("coalescelist([], [1])"), list(vec![n(1.0)]));
    assert_eq!(ev("compact([\"a\", \"\", null, \"b\"])"), strs(&["a", "b"]));
    assert_eq!(
        ev("zipmap([\"a\", \"b\"], [1, 2])"),
        Value::object([("a", n(1.0)), ("b", n(2.0))])
    );
    assert!(err("zipmap([\"a\"], [])").contains("1 keys but 0 values"));
    assert_eq!(ev("range(3)"), list(vec![n(0.0), n(1.0), n(2.0)]));
    assert_eq!(ev("range(1, 4)"), list(vec![n(1.0), n(2.0), n(3.0)]));
    assert_eq!(ev("range(4, 1)"), list(vec![n(4.0), n(3.0), n(2.0)]));
    assert_eq!(ev("range(0, 1, 0.5)"), list(vec![n(0.0), n(0.5)]));
    assert!(err("range(1e12)").contains("more than"));
    assert!(err("range(0, 1, 0)").contains("step must not be zero"));
    assert_eq!(ev("reverse([1, 2])"), list(vec![n(2.0), n(1.0)]));
    assert_eq!(ev("slice([1, 2, 3, 4], 1, 3)"), list(vec![n(2.0), n(3.0)]));
    assert!(err("slice([1], 0, 5)").contains("out of range"));
    assert_eq!(ev("sort([\"b\", \"a\", \"c\"])"), strs(&["a", "b", "c"]));
    assert_eq!(ev("one([])"), Value::Null);
    assert_eq!(ev("one([5])"), n(5.0));
    assert!(err("one([1, 2])").contains("at most one element"));
    assert_eq!(ev("sum([1, 2, 3.5])"), n(6.5));
    assert_eq!(ev("alltrue([true, \"true\"])"), Value::Bool(true));
    assert_eq!(ev("alltrue([])"), Value::Bool(true));
    assert_eq!(ev("anytrue([false, true])"), Value::Bool(true));
    assert_eq!(ev("anytrue([])"), Value::Bool(false));
    assert_eq!(ev("setunion([\"b\"], [\"a\", \"b\"])"), strs(&["a", "b"]));
    assert_eq!(
        ev("setintersection([\"a\", \"b\"], [\"b\", \"c\"])"),
        strs(&["b"])
    );
    assert_eq!(ev("setsubtract([\"a\", \"b\"], [\"b\"])"), strs(&["a"]));
    assert_eq!(
        ev("chunklist([1, 2, 3], 2)"),
        list(vec![list(vec![n(1.0), n(2.0)]), list(vec![n(3.0)])])
    );
    assert_eq!(ev("max(1, 5, 3)"), n(5.0));
    assert_eq!(ev("min(var.ports...)"), n(80.0));
}

#[test]
fn numeric_functions() {
    assert_eq!(ev("abs(-2.5)"), n(2.5));
    assert_eq!(ev("ceil(1.2)"), n(2.0));
    assert_eq!(ev("floor(1.8)"), n(1.0));
    assert_eq!(ev("signum(-3)"), n(-1.0));
    assert_eq!(ev("pow(2, 10)"), n(1024.0));
    assert_eq!(ev("parseint(\"ff\", 16)"), n(255.0));
    assert!(err("parseint(\"zz\", 10)").contains("cannot parse"));
    assert!(err("pow(10, 400)").contains("out of range"));
}

#[test]
fn encoding_functions() {
    assert_eq!(
        ev("jsonencode({b = [1, true, null], a = \"x\"})"),
        s("{\"a\":\"x\",\"b\":[1,true,null]}")
    );
    assert_eq!(
        ev("jsondecode(\"{\\\"a\\\": [1, 2.5]}\")"),
        Value::object([("a", list(vec![n(1.0), n(2.5)]))])
    );
    assert!(err("jsondecode(\"{\")").contains("invalid JSON"));
    assert_eq!(ev("base64encode(\"hello\")"), s("aGVsbG8="));
    assert_eq!(ev("base64decode(\"aGVsbG8=\")"), s("hello"));
    assert!(err("base64decode(\"!!\")").contains("invalid base64"));
    assert_eq!(
        ev("sha256(\"hello\")"),
        s("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    );
    assert_eq!(
        ev("sha1(\"hello\")"),
        s("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
    );
    assert_eq!(ev("md5(\"hello\")"), s("5d41402abc4b2a76b9719d911017c592"));
    assert_eq!(
        ev("base64sha256(\"hello\")"),
        s("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
    );
}

#[test]
fn conversion_functions() {
    assert_eq!(ev("tostring(5)"), s("5"));
    assert_eq!(ev("tostring(true)"), s("true"));
    assert_eq!(ev("tostring(null)"), Value::Null);
    assert!(err("tostring([1])").contains("a string is required, got list"));
    assert_eq!(ev("tonumber(\"5.5\")"), n(5.5));
    assert!(err("tonumber(\"x\")").contains("a number is required"));
    assert_eq!(ev("tobool(\"true\")"), Value::Bool(true));
    assert_eq!(ev("toset([\"b\", \"a\", \"b\"])"), strs(&["a", "b"]));
    assert_eq!(ev("tolist([1, 2])"), list(vec![n(1.0), n(2.0)]));
    assert_eq!(ev("tomap({a = 1})"), Value::object([("a", n(1.0))]));
    assert!(err("tomap([1])").contains("a map is required"));
}

#[test]
fn try_and_can() {
    assert_eq!(ev("try(var.tags.nope, \"fallback\")"), s("fallback"));
    assert_eq!(ev("try(var.tags.env, \"fallback\")"), s("prod"));
    assert_eq!(ev("can(var.tags.nope)"), Value::Bool(false));
    assert_eq!(ev("can(var.tags.env)"), Value::Bool(true));
    assert!(err("try(var.tags.nope, var.tags.nada)").contains("try(): no expression succeeded"));
}

#[test]
fn network_functions() {
    assert_eq!(ev("cidrsubnet(\"10.0.0.0/16\", 8, 2)"), s("10.0.2.0/24"));
    assert_eq!(ev("cidrsubnet(\"10.1.2.3/16\", 4, 15)"), s("10.1.240.0/20"));
    assert_eq!(
        ev("cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)"),
        s("fd00:fd12:3456:7800:a200::/72")
    );
    assert!(err("cidrsubnet(\"10.0.0.0/16\", 8, 256)")
        .contains("does not accommodate a subnet numbered 256"));
    assert!(err("cidrsubnet(\"10.0.0.0/30\", 8, 0)").contains("insufficient address space"));
    assert!(err("cidrsubnet(\"10.0.0/16\", 8, 0)").contains("invalid CIDR prefix"));
    assert_eq!(ev("cidrhost(\"10.12.112.0/20\", 16)"), s("10.12.112.16"));
    assert_eq!(ev("cidrhost(\"10.12.112.0/20\", -1)"), s("10.12.127.255"));
    assert!(err("cidrhost(\"10.0.0.0/30\", 4)").contains("does not accommodate a host"));
    assert_eq!(ev("cidrhost(\"fd00::/64\", 5)"), s("fd00::5"));
    assert_eq!(ev("cidrnetmask(\"172.16.0.0/12\")"), s("255.240.0.0"));
    assert_eq!(
        ev("cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)"),
        strs(&[
            "10.1.0.0/20",
            "10.1.16.0/20",
            "10.1.32.0/24",
            "10.1.48.0/20"
        ])
    );
}

#[test]
fn file_functions() {
    assert_eq!(ev("jsondecode(file(\"policy.json\")).a"), n(1.0));
    assert!(err("file(\"missing\")").contains("cannot read \"missing\": no such file"));
    assert_eq!(
        ev("templatefile(\"greet.tpl\", { name = \"mesh\", ports = [80, 443] })"),
        s("Hello, mesh!\nport 80\nport 443\n")
    );
    let e = err("templatefile(\"bad.tpl\", {})");
    assert!(
        e.contains("main.tf:1:14: error: templatefile(): cannot render template \"bad.tpl\""),
        "{e}"
    );
    assert!(
        e.contains("bad.tpl:2:3: error: unknown variable \"nope\""),
        "{e}"
    );
    assert_eq!(
        ev("templatefile(\"greet.tpl\", { name = var.unknown, ports = [] })"),
        Value::Unknown
    );
}

#[test]
fn unknown_function_suggests_the_closest_name() {
    assert_eq!(
        err_in_file("jsonencod({})"),
        "main.tf:2:5: error: call to unknown function \"jsonencod\"; did you mean \"jsonencode\"?"
    );
    assert!(err("uuid()").contains(
        "function \"uuid\" is not supported: it returns a new value at every evaluation"
    ));
    assert!(err("timestamp()").contains("use the time_static resource of hashicorp/time"));
    assert!(err("bcrypt(\"x\")").contains("random salt"));
    assert!(err("plantimestamp()").contains("not served yet"));
    assert!(err("rsadecrypt(\"a\", \"b\")").contains("\"rsadecrypt\" is not supported"));
    assert!(err("upper(\"a\", \"b\")").contains("upper(): expects 1 argument, got 2"));
    assert!(err("join()").contains("join(): expects at least 2 arguments, got 0"));
}

#[test]
fn function_errors_point_at_the_argument() {
    assert_eq!(
        err_in_file("upper([1])"),
        "main.tf:2:11: error: upper(): a string is required, got list"
    );
    assert_eq!(
        err_in_file("cidrsubnet(\"10.0.0.0/16\", 8, 300)"),
        "main.tf:2:34: error: cidrsubnet(): prefix extension of 8 does not accommodate a subnet numbered 300"
    );
}

#[test]
fn every_function_is_listed() {
    let names = function_names();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    for required in [
        "jsonencode",
        "jsondecode",
        "format",
        "formatlist",
        "join",
        "split",
        "replace",
        "lower",
        "upper",
        "trimspace",
        "trim",
        "trimprefix",
        "trimsuffix",
        "title",
        "length",
        "lookup",
        "merge",
        "concat",
        "flatten",
        "distinct",
        "keys",
        "values",
        "contains",
        "element",
        "coalesce",
        "coalescelist",
        "compact",
        "try",
        "can",
        "toset",
        "tolist",
        "tomap",
        "tostring",
        "tonumber",
        "tobool",
        "zipmap",
        "range",
        "min",
        "max",
        "abs",
        "ceil",
        "floor",
        "file",
        "templatefile",
        "sha256",
        "sha1",
        "md5",
        "base64encode",
        "base64decode",
        "cidrsubnet",
        "cidrhost",
        "substr",
        "startswith",
        "endswith",
        "strcontains",
        "slice",
        "sort",
        "reverse",
        "index",
        "one",
        "sum",
        "alltrue",
        "anytrue",
        "setunion",
        "setintersection",
        "setsubtract",
        "chunklist",
        "regex",
        "regexall",
    ] {
        assert!(is_known_function(required), "{required}");
    }
    for added in [
        "abspath",
        "base64gzip",
        "fileexists",
        "fileset",
        "pathexpand",
        "templatestring",
        "yamldecode",
        "yamlencode",
    ] {
        assert!(is_known_function(added), "{added}");
    }
    assert!(!is_known_function("uuid"));
    assert!(!is_known_function("timestamp"));
}

// ---------------------------------------------------------------------------------------------
// Robustness.

#[test]
fn deep_nesting_is_a_diagnostic() {
    // hcl-edit's parser limits nesting itself, so the tree is built by hand.
    let mut expr = Expression::from(1);
    for _ in 0..400 {
        let mut array = hcl_edit::expr::Array::new();
        array.push(expr);
        expr = Expression::Array(array);
    }
    let file = SourceFile::new("main.tf", "");
    let e = eval_expr(&expr, &scope(), &file).unwrap_err().to_string();
    assert!(e.contains("expression is nested too deeply"), "{e}");
    assert!(expr_references(&expr, &file).is_empty());
}

#[test]
fn hostile_inputs_do_not_panic() {
    for src in [
        "range(-1e300, 1e300)",
        "substr(\"abc\", 10, 1)",
        "substr(\"abc\", -10, 2)",
        "element([1], -1)",
        "[1][1.5]",
        "[1][-1]",
        "{a = 1}[[1]]",
        "\"abc\"[0]",
        "chunklist([1], -1)",
        "cidrsubnet(\"::/0\", 128, 1)",
        "cidrhost(\"::/0\", -1)",
        "cidrsubnets(\"::/0\", 1, 127)",
        "format(\"%\")",
        "format(\"%[0]s\", 1)",
        "1e400",
        "parseint(\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\", 36)",
        "indent(99999999, \"a\")",
        "slice([1, 2], 2, 1)",
        "max()",
        "upper(var.ports...)",
        "jsondecode(\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\")",
    ] {
        if let Ok(expr) = src.parse::<Expression>() {
            let file = SourceFile::new("main.tf", src);
            let _ = eval_expr(&expr, &scope(), &file);
        }
    }
    let chain = format!("{}1", "-".repeat(1000));
    if let Ok(expr) = chain.parse::<Expression>() {
        let file = SourceFile::new("main.tf", chain.as_str());
        let _ = eval_expr(&expr, &scope(), &file);
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies and dynamic blocks.

#[test]
fn bodies_evaluate_attributes_and_blocks() {
    let v = body(
        r#"
name  = "svc-${var.name}"
count = 3
rule {
  priority = 10
  match { path = "/a" }
}
rule {
  priority = 20
}
lifecycle { create_before_destroy = true }
"#,
        &["count", "lifecycle"],
    )
    .unwrap();
    let expected = Value::object([
        ("name", s("svc-api")),
        (
            "rule",
            list(vec![
                Value::object([
                    ("priority", n(10.0)),
                    ("match", list(vec![Value::object([("path", s("/a"))])])),
                ]),
                Value::object([("priority", n(20.0))]),
            ]),
        ),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn bodies_collect_every_error() {
    let e = body("a = var.nope\nb = 1 / 0\nblk {\n  c = upper([])\n}\n", &[]).unwrap_err();
    let text = e.to_string();
    assert_eq!(e.0.len(), 3, "{text}");
    assert!(text.contains("main.tf:1:5: error: reference to undeclared input variable \"nope\""));
    assert!(text.contains("main.tf:2:9: error: division by zero"));
    assert!(text.contains("main.tf:4:13: error: upper(): a string is required, got list"));
}

#[test]
fn dynamic_blocks_expand() {
    let v = body(
        r#"
rule {
  priority = 1
}
dynamic "rule" {
  for_each = var.rules
  content {
    name     = rule.value.name
    priority = rule.value.priority + rule.key
  }
}
dynamic "tag" {
  for_each = var.tags
  iterator = t
  content {
    key   = t.key
    value = t.value
  }
}
dynamic "empty" {
  for_each = []
  content {}
}
"#,
        &[],
    )
    .unwrap();
    let expected = Value::object([
        (
            "rule",
            list(vec![
                Value::object([("priority", n(1.0))]),
                Value::object([("name", s("a")), ("priority", n(10.0))]),
                Value::object([("name", s("b")), ("priority", n(21.0))]),
            ]),
        ),
        (
            "tag",
            list(vec![
                Value::object([("key", s("env")), ("value", s("prod"))]),
                Value::object([("key", s("team")), ("value", s("mesh"))]),
            ]),
        ),
        ("empty", list(vec![])),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn dynamic_blocks_nest_and_go_unknown() {
    let v = body(
        r#"
dynamic "outer" {
  for_each = [[1, 2]]
  content {
    dynamic "inner" {
      for_each = outer.value
      content {
        v = inner.value * 10
        o = outer.key
      }
    }
  }
}
dynamic "later" {
  for_each = var.unknown
  content {}
}
"#,
        &[],
    )
    .unwrap();
    assert_eq!(v.get("later"), Some(&Value::Unknown));
    let inner = v.get("outer").unwrap().as_list().unwrap()[0]
        .get("inner")
        .unwrap()
        .clone();
    assert_eq!(
        inner,
        list(vec![
            Value::object([("v", n(10.0)), ("o", n(0.0))]),
            Value::object([("v", n(20.0)), ("o", n(0.0))]),
        ])
    );
}

#[test]
fn dynamic_block_errors() {
    let e = body("dynamic \"x\" {\n  content {}\n}\n", &[]).unwrap_err();
    assert!(e
        .to_string()
        .contains("main.tf:1:1: error: dynamic \"x\" needs a for_each argument"));
    let e = body("dynamic \"x\" {\n  for_each = [1]\n}\n", &[]).unwrap_err();
    assert!(e.to_string().contains("needs a content block"));
    let e = body("dynamic \"x\" {\n  for_each = 5\n  content {}\n}\n", &[]).unwrap_err();
    assert!(e
        .to_string()
        .contains("main.tf:2:14: error: cannot iterate over a number"));
}

// ---------------------------------------------------------------------------------------------
// References for the graph.

fn refs(src: &str) -> Vec<(RefKind, String)> {
    let file = SourceFile::new("main.tf", src);
    expr_references(&parse(src), &file)
        .into_iter()
        .map(|r| {
            let text = src[r.span.start..r.span.end].to_string();
            (r.kind, text)
        })
        .collect()
}

fn managed(t: &str, name: &str, attr: Option<&str>) -> RefKind {
    RefKind::Resource {
        mode: Mode::Managed,
        type_name: t.into(),
        name: name.into(),
        attribute: attr.map(Into::into),
    }
}

#[test]
fn references_are_found_with_spans() {
    assert_eq!(
        refs("aws_x.y.arn"),
        vec![(managed("aws_x", "y", Some("arn")), "aws_x.y.arn".into())]
    );
    assert_eq!(
        refs("aws_x.y[0].dns_entry[0].domain"),
        vec![(
            managed("aws_x", "y", Some("dns_entry")),
            "aws_x.y[0].dns_entry".into()
        )]
    );
    assert_eq!(
        refs("aws_x.y[var.k].id"),
        vec![
            (
                managed("aws_x", "y", Some("id")),
                "aws_x.y[var.k].id".into()
            ),
            (RefKind::Variable("k".into()), "var.k".into()),
        ]
    );
    assert_eq!(
        refs("data.aws_d.cur.account_id"),
        vec![(
            RefKind::Resource {
                mode: Mode::Data,
                type_name: "aws_d".into(),
                name: "cur".into(),
                attribute: Some("account_id".into())
            },
            "data.aws_d.cur.account_id".into()
        )]
    );
    assert_eq!(
        refs("\"${var.a}-${local.b}\""),
        vec![
            (RefKind::Variable("a".into()), "var.a".into()),
            (RefKind::Local("b".into()), "local.b".into()),
        ]
    );
    assert_eq!(
        refs("[count.index, each.key, each.value.x, self.id, path.module, terraform.workspace, module.m.out]"),
        vec![
            (RefKind::CountIndex, "count.index".into()),
            (RefKind::EachKey, "each.key".into()),
            (RefKind::EachValue, "each.value".into()),
            (RefKind::SelfRef, "self".into()),
            (RefKind::Path("module".into()), "path.module".into()),
            (RefKind::Unknown("terraform.workspace".into()), "terraform.workspace".into()),
            (
                RefKind::Module {
                    name: "m".into(),
                    output: Some("out".into()),
                },
                "module.m.out".into(),
            ),
        ]
    );
    assert_eq!(
        refs("aws_x.y[*].id"),
        vec![(managed("aws_x", "y", Some("id")), "aws_x.y[*].id".into())]
    );
    assert_eq!(
        refs("aws_x.y"),
        vec![(managed("aws_x", "y", None), "aws_x.y".into())]
    );
}

#[test]
fn for_variables_are_not_references() {
    assert_eq!(
        refs("[for k, v in var.m : \"${k}=${v.x}\" if v.on]"),
        vec![(RefKind::Variable("m".into()), "var.m".into())]
    );
    assert_eq!(
        refs("\"%{ for s in aws_x.y[*].id }${s}%{ endfor }\""),
        vec![(managed("aws_x", "y", Some("id")), "aws_x.y[*].id".into())]
    );
    assert_eq!(
        refs("upper(try(local.a, var.b))"),
        vec![
            (RefKind::Local("a".into()), "local.a".into()),
            (RefKind::Variable("b".into()), "var.b".into()),
        ]
    );
}

#[test]
fn body_references_skip_and_see_iterators() {
    let src = r#"
count = var.n
depends_on = [aws_z.w]
name = aws_x.y.name
dynamic "rule" {
  for_each = local.rules
  content {
    p = rule.value.p
    q = aws_q.r.id
  }
}
dynamic "tag" {
  for_each = var.tags
  iterator = t
  content {
    k = t.key
  }
}
"#;
    let b = hcl_edit::parser::parse_body(src).unwrap();
    let file = SourceFile::new("main.tf", src);
    let found: Vec<RefKind> = body_references(&b, &["depends_on"], &file)
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        found,
        vec![
            RefKind::Variable("n".into()),
            managed("aws_x", "y", Some("name")),
            RefKind::Local("rules".into()),
            RefKind::Iterator("rule".into()),
            managed("aws_q", "r", Some("id")),
            RefKind::Variable("tags".into()),
            RefKind::Iterator("t".into()),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Type constraints.

fn ty(src: &str) -> TypeConstraint {
    let file = SourceFile::new("main.tf", src);
    parse_type_constraint(&parse(src), &file).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn type_constraints_parse() {
    assert_eq!(ty("string"), TypeConstraint::String);
    assert_eq!(
        ty("list(number)"),
        TypeConstraint::List(Box::new(TypeConstraint::Number))
    );
    assert_eq!(
        ty("map(any)"),
        TypeConstraint::Map(Box::new(TypeConstraint::Any))
    );
    assert_eq!(
        ty("tuple([string, bool])"),
        TypeConstraint::Tuple(vec![TypeConstraint::String, TypeConstraint::Bool])
    );
    let object =
        ty("object({ name = string, port = optional(number, 443), tags = optional(map(string)) })");
    let TypeConstraint::Object(attrs) = object else {
        panic!("not an object")
    };
    assert!(!attrs["name"].optional);
    assert_eq!(attrs["port"].default, Some(n(443.0)));
    assert!(attrs["tags"].optional && attrs["tags"].default.is_none());

    let src = "list(strng)";
    let file = SourceFile::new("main.tf", src);
    let e = parse_type_constraint(&parse(src), &file).unwrap_err();
    assert!(e
        .to_string()
        .contains("main.tf:1:6: error: unknown type \"strng\""));
    let src = "object({ a = optional(number, \"x\") })";
    let file = SourceFile::new("main.tf", src);
    let e = parse_type_constraint(&parse(src), &file).unwrap_err();
    assert!(e
        .to_string()
        .contains("invalid default value: a number is required"));
}

#[test]
fn conversion_follows_hcl_rules() {
    use TypeConstraint as T;
    assert_eq!(convert(&n(5.0), &T::String), Ok(s("5")));
    assert_eq!(convert(&s("5"), &T::Number), Ok(n(5.0)));
    assert_eq!(convert(&s("true"), &T::Bool), Ok(Value::Bool(true)));
    assert!(convert(&s("yes"), &T::Bool).is_err());
    assert_eq!(convert(&Value::Null, &T::Number), Ok(Value::Null));
    assert_eq!(convert(&Value::Unknown, &T::Number), Ok(Value::Unknown));
    assert_eq!(
        convert(&s("1").into_sensitive(), &T::Number),
        Ok(n(1.0).into_sensitive())
    );
    assert_eq!(
        convert(
            &list(vec![s("b"), s("a"), s("b")]),
            &T::Set(Box::new(T::String))
        ),
        Ok(strs(&["a", "b"]))
    );
    assert_eq!(
        convert(&list(vec![n(1.0), s("x")]), &T::List(Box::new(T::Number))),
        Err("element 1: a number is required, got \"x\"".to_string())
    );
    let object_ty =
        ty("object({ name = string, port = optional(number, 443), tls = optional(bool) })");
    assert_eq!(
        convert(
            &Value::object([("name", s("a")), ("extra", n(1.0))]),
            &object_ty
        ),
        Ok(Value::object([
            ("name", s("a")),
            ("port", n(443.0)),
            ("tls", Value::Null)
        ]))
    );
    assert_eq!(
        convert(&Value::object([("port", n(1.0))]), &object_ty),
        Err("attribute \"name\" is required".to_string())
    );
    let map_ty = ty("map(object({ port = number }))");
    assert_eq!(
        convert(
            &Value::object([("a", Value::object([("port", s("x"))]))]),
            &map_ty
        ),
        Err("element \"a\": attribute \"port\": a number is required, got \"x\"".to_string())
    );
    assert_eq!(
        convert(
            &list(vec![n(1.0), s("a")]),
            &T::Tuple(vec![T::String, T::String])
        ),
        Ok(strs(&["1", "a"]))
    );
    let _ = BTreeMap::<String, Value>::new();
}

#[test]
fn diagnostics_snapshot() {
    let src = r#"name     = "svc-${var.nam}"
port     = var.port + "x"
policy   = jsonencod({})
priority = [for r in var.rules : r.priorty]
subnet   = cidrsubnet("10.0.0.0/16", 8, 256)
dynamic "rule" {
  for_each = var.port
  content {}
}
"#;
    let e = body(src, &[]).unwrap_err();
    let rendered: Vec<String> = e
        .iter()
        .map(|d| match &d.detail {
            Some(detail) => format!("{d}\n  {detail}"),
            None => d.to_string(),
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Functions added for issue 15 (values from Terraform's documented examples).

#[test]
fn setproduct_matchkeys_transpose() {
    assert_eq!(
        ev("setproduct([\"development\", \"staging\"], [\"app1\", \"app2\"])"),
        list(vec![
            strs(&["development", "app1"]),
            strs(&["development", "app2"]),
            strs(&["staging", "app1"]),
            strs(&["staging", "app2"]),
        ])
    );
    assert_eq!(ev("setproduct([\"a\"], [])"), list(vec![]));
    assert_eq!(
        ev("setproduct([\"a\"], [1], [true])"),
        list(vec![list(vec![s("a"), n(1.0), Value::Bool(true)])])
    );
    assert!(err("setproduct([\"a\"])").contains("at least two arguments are required"));
    assert_eq!(ev("setproduct([\"a\"], var.unknown)"), Value::Unknown);
    assert!(matches!(
        ev("setproduct([var.secret], [\"b\"])"),
        Value::Sensitive(_)
    ));
    assert_eq!(
        ev("matchkeys([\"i-123\", \"i-abc\", \"i-def\"], [\"us-west\", \"us-east\", \"us-east\"], [\"us-east\"])"),
        strs(&["i-abc", "i-def"])
    );
    assert!(err("matchkeys([\"a\"], [], [])").contains("length of keys and values should be equal"));
    assert_eq!(
        ev("transpose({a = [\"1\", \"2\"], b = [\"2\", \"3\"]})"),
        Value::object([
            ("1", strs(&["a"])),
            ("2", strs(&["a", "b"])),
            ("3", strs(&["b"])),
        ])
    );
    assert!(err("transpose({a = \"x\"})").contains("must be a list of strings"));
}

#[test]
fn log_and_new_hashes() {
    assert_eq!(ev("log(16, 2)"), n(4.0));
    assert_eq!(ev("log(1, 10)"), n(0.0));
    assert!(err("log(0, 10)").contains("out of range"));
    assert_eq!(
        ev("sha512(\"hello\")"),
        s("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043")
    );
    assert_eq!(
        ev("base64sha512(\"hello\")"),
        s("m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==")
    );
    assert!(matches!(ev("sha512(var.secret)"), Value::Sensitive(_)));
    assert_eq!(ev("sha512(var.unknown)"), Value::Unknown);
}

#[test]
fn urlencode_and_text_encodings() {
    assert_eq!(ev("urlencode(\"Hello World!\")"), s("Hello%20World%21"));
    assert_eq!(ev("urlencode(\"☃\")"), s("%E2%98%83"));
    assert_eq!(
        ev("\"http://example.com/search?q=${urlencode(\"terraform urlencode\")}\""),
        s("http://example.com/search?q=terraform%20urlencode")
    );
    assert_eq!(
        ev("textencodebase64(\"Hello World\", \"UTF-16LE\")"),
        s("SABlAGwAbABvACAAVwBvAHIAbABkAA==")
    );
    assert_eq!(
        ev("textdecodebase64(\"SABlAGwAbABvACAAVwBvAHIAbABkAA==\", \"UTF-16LE\")"),
        s("Hello World")
    );
    assert_eq!(ev("textencodebase64(\"hé\", \"ISO-8859-1\")"), s("aOk="));
    assert!(err("textencodebase64(\"x\", \"EBCDIC\")").contains("not a supported encoding"));
    assert!(
        err("textdecodebase64(\"QQ==\", \"UTF-16LE\")").contains("not valid in the given encoding")
    );
}

#[test]
fn formatdate_timeadd_timecmp() {
    assert_eq!(
        ev("formatdate(\"DD MMM YYYY hh:mm ZZZ\", \"2018-01-02T23:12:01Z\")"),
        s("02 Jan 2018 23:12 UTC")
    );
    assert_eq!(
        ev("formatdate(\"EEEE, DD-MMM-YY hh:mm:ss ZZZ\", \"2018-01-02T23:12:01Z\")"),
        s("Tuesday, 02-Jan-18 23:12:01 UTC")
    );
    assert_eq!(
        ev("formatdate(\"EEE, DD MMM YYYY hh:mm:ss ZZZ\", \"2018-01-02T23:12:01-08:00\")"),
        s("Tue, 02 Jan 2018 23:12:01 -0800")
    );
    assert_eq!(
        ev("formatdate(\"MMM DD, YYYY\", \"2018-01-02T23:12:01Z\")"),
        s("Jan 02, 2018")
    );
    assert_eq!(
        ev("formatdate(\"HH:mmaa\", \"2018-01-02T23:12:01Z\")"),
        s("11:12pm")
    );
    assert_eq!(
        ev("formatdate(\"YYYY-MM-DD'T'hh:mm:ssZZZZZ\", \"2024-02-29T08:05:09+05:30\")"),
        s("2024-02-29T08:05:09+05:30")
    );
    assert_eq!(
        ev("formatdate(\"h 'o''clock' Z, M/D\", \"2018-03-04T05:06:07Z\")"),
        s("5 o'clock Z, 3/4")
    );
    assert!(err("formatdate(\"YYYY\", \"2018-02-30T00:00:00Z\")")
        .contains("not a valid RFC 3339 timestamp"));
    assert!(err("formatdate(\"Q\", \"2018-01-02T23:12:01Z\")")
        .contains("invalid date format verb \"Q\""));
    assert_eq!(ev("formatdate(\"YYYY\", var.unknown)"), Value::Unknown);
    assert_eq!(
        err_in_file("formatdate(\"YYYY\", \"yesterday\")"),
        "main.tf:2:24: error: formatdate(): \"yesterday\" is not a valid RFC 3339 timestamp (e.g. \"2017-11-22T00:00:00Z\")"
    );
    assert_eq!(
        ev("timeadd(\"2017-11-22T00:00:00Z\", \"10m\")"),
        s("2017-11-22T00:10:00Z")
    );
    assert_eq!(
        ev("timeadd(\"2017-11-22T00:00:00+02:00\", \"-1h30m\")"),
        s("2017-11-21T22:30:00+02:00")
    );
    assert_eq!(
        ev("timeadd(\"2024-12-31T23:59:59Z\", \"1.5s\")"),
        s("2025-01-01T00:00:00Z")
    );
    assert!(err("timeadd(\"2017-11-22T00:00:00Z\", \"10 days\")").contains("not a valid duration"));
    assert_eq!(
        ev("timecmp(\"2017-11-22T00:00:00Z\", \"2017-11-22T00:00:00Z\")"),
        n(0.0)
    );
    assert_eq!(
        ev("timecmp(\"2017-11-22T00:00:00Z\", \"2017-11-22T01:00:00Z\")"),
        n(-1.0)
    );
    assert_eq!(
        ev("timecmp(\"2017-11-22T01:00:00Z\", \"2017-11-22T01:00:00+01:00\")"),
        n(1.0)
    );
}

#[test]
fn path_functions() {
    assert_eq!(ev("basename(\"foo/bar/baz.txt\")"), s("baz.txt"));
    assert_eq!(ev("basename(\"foo/bar/\")"), s("bar"));
    assert_eq!(ev("basename(\"/\")"), s("/"));
    assert_eq!(ev("basename(\"\")"), s("."));
    assert_eq!(ev("dirname(\"foo/bar/baz.txt\")"), s("foo/bar"));
    assert_eq!(ev("dirname(\"baz.txt\")"), s("."));
    assert_eq!(ev("dirname(\"/baz.txt\")"), s("/"));
    assert_eq!(ev("dirname(\"a/../b//c.txt\")"), s("b"));
    assert!(err("dirname([])").contains("a string is required, got list"));
}

#[test]
fn file_hash_functions() {
    assert_eq!(ev("filebase64(\"policy.json\")"), s("eyJhIjogMX0="));
    assert_eq!(
        ev("filebase64sha256(\"policy.json\")"),
        s("+dhgKMbg1k4iUYb5astpM4ssWXZN95FiEH9cS7NNExA=")
    );
    assert_eq!(
        ev("filebase64sha512(\"policy.json\")"),
        s("d40Wd/kO5kTxJU4PxXt24vmWRmSIuRpkJyZE9eNipxNM+VEM21awl/7ObVo7rXiNEe3RFiocYgjqvz8HmBXLXA==")
    );
    assert_eq!(
        ev("filemd5(\"policy.json\")"),
        s("42b7b4f2921788ea14dac5566e6f06d0")
    );
    assert_eq!(
        ev("filesha1(\"policy.json\")"),
        s("e4ad4daad53a2eec0313386ada88211e50d693bd")
    );
    assert_eq!(
        ev("filesha256(\"policy.json\")"),
        s("f9d86028c6e0d64e225186f96acb69338b2c59764df79162107f5c4bb34d1310")
    );
    assert_eq!(
        ev("filesha512(\"policy.json\")"),
        s("778d1677f90ee644f1254e0fc57b76e2f996466488b91a64272644f5e362a7134cf9510cdb56b097fece6d5a3bad788d11edd1162a1c6208eabf3f079815cb5c")
    );
    assert!(err("filesha256(\"missing\")").contains("cannot read \"missing\": no such file"));
    assert_eq!(ev("filemd5(var.unknown)"), Value::Unknown);
}

#[test]
fn mark_functions_and_console_only_type() {
    assert_eq!(ev("issensitive(var.secret)"), Value::Bool(true));
    assert_eq!(ev("issensitive(sensitive(\"x\"))"), Value::Bool(true));
    assert_eq!(ev("issensitive(\"hello\")"), Value::Bool(false));
    assert_eq!(ev("issensitive(var.unknown)"), Value::Bool(false));
    assert_eq!(ev("ephemeralasnull(var.tags)"), ev("var.tags"));
    assert!(matches!(
        ev("ephemeralasnull(var.secret)"),
        Value::Sensitive(_)
    ));
    assert!(err("type(1)").contains("only available in the console"));
}

#[test]
fn csvdecode_function() {
    assert_eq!(
        ev("csvdecode(\"a,b,c\\n1,2,3\\n4,5,6\")"),
        list(vec![
            Value::object([("a", s("1")), ("b", s("2")), ("c", s("3"))]),
            Value::object([("a", s("4")), ("b", s("5")), ("c", s("6"))]),
        ])
    );
    assert_eq!(
        ev("csvdecode(\"name,note\\r\\n\\\"x, y\\\",\\\"say \\\"\\\"hi\\\"\\\"\\\"\\r\\n\\n\")"),
        list(vec![Value::object([
            ("name", s("x, y")),
            ("note", s("say \"hi\""))
        ])])
    );
    assert_eq!(ev("csvdecode(\"a,b\\n\")"), list(vec![]));
    assert!(err("csvdecode(\"\")").contains("missing header line"));
    assert!(err("csvdecode(\"a,b\\n1\")").contains("line 2: wrong number of fields"));
    let e = err("csvdecode(\"a\\nx\\\"y\")");
    assert!(e.contains("line 2: bare \" in non-quoted field"), "{e}");
    assert!(err("csvdecode(\"a\\n\\\"x\")").contains("unterminated quoted field"));
}

#[test]
fn uuidv5_function() {
    assert_eq!(
        ev("uuidv5(\"dns\", \"www.terraform.io\")"),
        s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
    );
    assert_eq!(
        ev("uuidv5(\"url\", \"https://www.terraform.io/\")"),
        s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")
    );
    assert_eq!(
        ev("uuidv5(\"743ac3c0-3bf7-4a5b-9e6c-59360447c757\", \"LIBS:diskfont.library\")"),
        s("ede1a974-df7e-5f17-84b9-76208818b2c8")
    );
    assert!(err("uuidv5(\"nope\", \"x\")").contains("doesn't support namespace \"nope\""));
    assert_eq!(ev("uuidv5(\"dns\", var.unknown)"), Value::Unknown);
}

// ---------------------------------------------------------------------------------------------
// YAML, file sets, template strings, paths.

fn yaml(src: &str) -> Value {
    let mut sc = scope();
    sc.vars.insert("doc".into(), s(src));
    eval_with(&sc, "yamldecode(var.doc)").unwrap_or_else(|e| panic!("yamldecode {src:?}: {e}"))
}

fn yaml_err(src: &str) -> String {
    let mut sc = scope();
    sc.vars.insert("doc".into(), s(src));
    match eval_with(&sc, "yamldecode(var.doc)") {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(d) => d.to_string().trim_end().to_string(),
    }
}

fn yaml_out(value: Value) -> String {
    let mut sc = scope();
    sc.vars.insert("v".into(), value);
    match eval_with(&sc, "yamlencode(var.v)") {
        Ok(Value::String(text)) => text,
        other => panic!("yamlencode: {other:?}"),
    }
}

#[test]
fn yamldecode_resolves_scalars_as_terraform_does() {
    assert_eq!(
        yaml("a: 1\nb: 2.5\nc: yes\nd: off\ne: ~\nf:\ng: hello\nh: \"yes\"\ni: '3'\nj: -7\nk: .5\nl: 1e3\n"),
        Value::object([
            ("a", n(1.0)),
            ("b", n(2.5)),
            ("c", Value::Bool(true)),
            ("d", Value::Bool(false)),
            ("e", Value::Null),
            ("f", Value::Null),
            ("g", s("hello")),
            ("h", s("yes")),
            ("i", s("3")),
            ("j", n(-7.0)),
            ("k", n(0.5)),
            ("l", n(1000.0)),
        ])
    );
    // YAML 1.1 dates and timestamps become RFC 3339 strings; versions stay strings.
    assert_eq!(
        yaml("- 2024-02-29\n- 2001-12-14t21:59:43.10-05:00\n- 2001-12-14 21:59:43\n- 1.2.3\n- 2023-02-30\n"),
        list(vec![
            s("2024-02-29T00:00:00Z"),
            s("2001-12-14T21:59:43-05:00"),
            s("2001-12-14T21:59:43Z"),
            s("1.2.3"),
            s("2023-02-30"),
        ])
    );
    // Explicit tags win over resolution.
    assert_eq!(
        yaml("a: !!str 42\nb: !!int \"42\"\nc: !!bool \"on\"\nd: 0x1F\n"),
        Value::object([
            ("a", s("42")),
            ("b", n(42.0)),
            ("c", Value::Bool(true)),
            ("d", n(31.0)),
        ])
    );
    // Keys are strings whatever they look like.
    assert_eq!(
        yaml("1: one\ntrue: t\n"),
        Value::object([("1", s("one")), ("true", s("t"))])
    );
    assert_eq!(yaml(""), Value::Null);
    assert_eq!(yaml("---\n"), Value::Null);
    assert_eq!(yaml("plain text"), s("plain text"));
}

#[test]
fn yamldecode_reads_the_styles_real_files_use() {
    let doc = "\
services:
  - name: api
    port: 443
    tags: {team: mesh, env: prod}
    description: |
      Line one
      Line two
  - name: web
    port: 80
    tags: []
    folded: >
      one
      two
defaults: &defaults
  timeout: 30
  retries: 3
api_defaults: *defaults
";
    let v = yaml(doc);
    let Value::Map(root) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(
        root["defaults"],
        Value::object([("retries", n(3.0)), ("timeout", n(30.0))])
    );
    assert_eq!(root["api_defaults"], root["defaults"]);
    let Value::List(services) = &root["services"] else {
        panic!()
    };
    assert_eq!(
        services[0],
        Value::object([
            ("description", s("Line one\nLine two\n")),
            ("name", s("api")),
            ("port", n(443.0)),
            (
                "tags",
                Value::object([("env", s("prod")), ("team", s("mesh"))])
            ),
        ])
    );
    assert_eq!(
        services[1],
        Value::object([
            ("folded", s("one two\n")),
            ("name", s("web")),
            ("port", n(80.0)),
            ("tags", list(vec![])),
        ])
    );
}

#[test]
fn yamldecode_errors_say_where() {
    let e = yaml_err("a: 1\nb: [1, 2\n");
    assert!(
        e.starts_with("main.tf:1:12: error: yamldecode(): on line "),
        "{e}"
    );
    assert!(yaml_err("a: 1\n---\nb: 2\n")
        .contains("on line 2, column 1: only a single document is allowed"));
    assert!(
        yaml_err("a: .nan\n").contains("on line 1, column 4: floating point NaN is not supported")
    );
    assert!(yaml_err("a: !!int abc\n").contains("cannot parse \"abc\" as !!int"));
    assert!(yaml_err("a: !custom x\n").contains("unsupported tag \"!custom\""));
    assert!(yaml_err("? [1, 2]\n: x\n").contains("only strings are allowed as mapping keys"));
    assert!(yaml_err("~: x\n").contains("mapping key cannot be null"));
    // A few lines of aliases must not expand to gigabytes.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    assert!(yaml_err(&bomb).contains("expands to more than 1000000 values"));
}

#[test]
fn yamldecode_keeps_unknown_and_sensitive_marks() {
    assert_eq!(ev("yamldecode(var.unknown)"), Value::Unknown);
    let mut sc = scope();
    sc.vars.insert("doc".into(), s("a: 1").into_sensitive());
    let v = eval_with(&sc, "yamldecode(var.doc)").unwrap();
    assert!(v.contains_sensitive());
}

#[test]
fn yamlencode_writes_what_terraform_writes() {
    // The examples of Terraform's documentation.
    assert_eq!(
        yaml_out(Value::object([("a", s("b")), ("c", s("d"))])),
        "\"a\": \"b\"\n\"c\": \"d\"\n"
    );
    assert_eq!(
        yaml_out(Value::object([
            ("foo", list(vec![n(1.0), n(2.0), n(3.0)])),
            ("bar", s("baz")),
        ])),
        "\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n"
    );
    assert_eq!(
        yaml_out(Value::object([
            (
                "foo",
                list(vec![
                    n(1.0),
                    Value::object([("a", s("b")), ("c", s("d"))]),
                    n(3.0)
                ])
            ),
            ("bar", s("baz")),
        ])),
        "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n"
    );
    // go-cty-yaml's own cases: bare scalars end the document with `...`.
    assert_eq!(yaml_out(Value::Bool(true)), "true\n...\n");
    assert_eq!(yaml_out(n(0.0)), "0\n...\n");
    assert_eq!(yaml_out(Value::Null), "null\n...\n");
    assert_eq!(yaml_out(s("")), "\"\"\n");
    assert_eq!(yaml_out(s("hello")), "\"hello\"\n");
    assert_eq!(yaml_out(Value::object::<&str>([])), "{}\n");
    assert_eq!(yaml_out(list(vec![])), "[]\n");
    assert_eq!(yaml_out(strs(&["b"])), "- \"b\"\n");
    // Nesting: mappings indent by two, sequences under a key do not, sequences nest inline.
    assert_eq!(
        yaml_out(Value::object([
            ("_meta", Value::object([("hostvars", Value::object::<&str>([]))])),
            (
                "all",
                Value::object([("hosts", list(vec![strs(&["a", "b"]), strs(&["c"])]))])
            ),
        ])),
        "\"_meta\":\n  \"hostvars\": {}\n\"all\":\n  \"hosts\":\n  - - \"a\"\n    - \"b\"\n  - - \"c\"\n"
    );
}

#[test]
fn yamlencode_strings_fold_escape_and_use_literal_blocks_as_libyaml_does() {
    // Long strings fold at the first space past column 80 (OpenTofu issue 4433 shows this
    // exact break).
    let command = "mkdir -p /app/storage/database /app/storage/framework/cache/data /app/storage/framework/sessions /app/storage/framework/views";
    assert_eq!(
        yaml_out(Value::object([("command", s(command))])),
        "\"command\": \"mkdir -p /app/storage/database /app/storage/framework/cache/data /app/storage/framework/sessions\n  /app/storage/framework/views\"\n"
    );
    // Two spaces at a fold keep the second one with an escape.
    let spaced = format!("{}  tail", "x".repeat(85));
    assert_eq!(
        yaml_out(s(&spaced)),
        format!("\"{}\n  \\  tail\"\n", "x".repeat(85)).replace("\\  tail", "\\ tail")
    );
    // Escapes: quotes, backslashes, tabs, control characters, characters beyond the BMP.
    assert_eq!(
        yaml_out(s("a\"b\\c\td\u{1}e\u{1F600}é")),
        "\"a\\\"b\\\\c\\td\\x01e\\U0001F600é\"\n"
    );
    // Line breaks: literal blocks with the chomping indicator the ending needs.
    assert_eq!(
        yaml_out(Value::object([("script", s("echo one\necho two\n"))])),
        "\"script\": |\n  echo one\n  echo two\n"
    );
    assert_eq!(
        yaml_out(Value::object([("k", s("a\n\nb"))])),
        "\"k\": |-\n  a\n\n  b\n"
    );
    assert_eq!(yaml_out(s("a\n\n")), "|+\n  a\n\n");
    assert_eq!(yaml_out(s(" indented\nnext")), "|2-\n   indented\n  next\n");
    // A space before a break, or a tab, rules a literal block out.
    assert_eq!(yaml_out(s("a \nb")), "\"a \\nb\"\n");
    assert_eq!(yaml_out(s("a\tb\nc")), "\"a\\tb\\nc\"\n");
    // Literal blocks in sequences indent under the dash.
    assert_eq!(
        yaml_out(Value::object([("l", strs(&["x\ny"]))])),
        "\"l\":\n- |-\n  x\n  y\n"
    );
}

#[test]
fn yamlencode_then_yamldecode_round_trips() {
    let v = Value::object([
        ("name", s("api \"v2\"")),
        ("ports", list(vec![n(80.0), n(443.0)])),
        ("script", s("#!/bin/sh\necho hi\n")),
        ("empty", Value::object::<&str>([])),
        ("flag", Value::Bool(false)),
        ("nothing", Value::Null),
        ("long", s(&"word ".repeat(40))),
    ]);
    let text = yaml_out(v.clone());
    assert_eq!(yaml(&text), v, "{text}");
}

fn file_scope() -> TestScope {
    let mut sc = scope();
    for f in [
        "policies/a.json",
        "policies/b.json",
        "policies/nested/c.json",
        "policies/nested/deeper/d.json",
        "policies/readme.md",
        "policies/.hidden.json",
        "policies/x1.txt",
        "policies/y2.txt",
    ] {
        sc.files.insert(f.into(), "{}".into());
    }
    sc
}

fn fs_ev(src: &str) -> Value {
    eval_with(&file_scope(), src).unwrap_or_else(|e| panic!("eval {src:?}: {e}"))
}

fn fs_err(src: &str) -> String {
    match eval_with(&file_scope(), src) {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(d) => d.to_string().trim_end().to_string(),
    }
}

#[test]
fn fileset_matches_globs_as_terraform_does() {
    assert_eq!(
        fs_ev("fileset(\"policies\", \"*.json\")"),
        strs(&[".hidden.json", "a.json", "b.json"])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"**/*.json\")"),
        strs(&[
            ".hidden.json",
            "a.json",
            "b.json",
            "nested/c.json",
            "nested/deeper/d.json"
        ])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"nested/**\")"),
        strs(&["nested/c.json", "nested/deeper/d.json"])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"{a,readme}.*\")"),
        strs(&["a.json", "readme.md"])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"[xy]?.txt\")"),
        strs(&["x1.txt", "y2.txt"])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"[!x]*.txt\")"),
        strs(&["y2.txt"])
    );
    assert_eq!(
        fs_ev("fileset(\"policies\", \"./a.json\")"),
        strs(&["a.json"])
    );
    // Directories are not files.
    assert_eq!(fs_ev("fileset(\"policies\", \"nested\")"), strs(&[]));
    assert_eq!(fs_ev("fileset(\"missing\", \"*\")"), strs(&[]));
    // for_each over a file set, the way real configurations load policy documents.
    assert_eq!(
        fs_ev("{ for f in fileset(\"policies\", \"*.json\") : trimsuffix(f, \".json\") => length(file(\"policies/${f}\")) }"),
        Value::object([(".hidden", n(2.0)), ("a", n(2.0)), ("b", n(2.0))])
    );
    assert_eq!(
        fs_err("fileset(\"policies\", \"[ab\")"),
        "main.tf:1:21: error: fileset(): invalid pattern \"[ab\": a `[` has no matching `]`"
    );
    assert_eq!(
        fs_err("fileset(\"policies\", \"{a,b\")"),
        "main.tf:1:21: error: fileset(): invalid pattern \"{a,b\": a `{` has no matching `}`"
    );
    assert!(fs_err("fileset(\"policies\", \"../*\")").contains("must stay inside the directory"));
    assert_eq!(ev("fileset(var.unknown, \"*\")"), Value::Unknown);
}

#[test]
fn fileexists_tells_files_from_nothing_and_refuses_directories() {
    assert_eq!(fs_ev("fileexists(\"policies/a.json\")"), Value::Bool(true));
    assert_eq!(fs_ev("fileexists(\"policies/z.json\")"), Value::Bool(false));
    assert_eq!(
        fs_err("fileexists(\"policies\")"),
        "main.tf:1:12: error: fileexists(): policies is not a regular file"
    );
    assert_eq!(
        fs_ev("fileexists(\"policies/a.json\") ? file(\"policies/a.json\") : \"none\""),
        s("{}")
    );
}

#[test]
fn templatestring_renders_a_referenced_string() {
    let mut sc = scope();
    sc.locals.insert(
        "tmpl".into(),
        s("Hello, ${name}!%{ for p in ports } ${p}%{ endfor }"),
    );
    sc.locals.insert("broken".into(), s("${nope}"));
    assert_eq!(
        eval_with(
            &sc,
            "templatestring(local.tmpl, { name = \"mesh\", ports = [80, 443] })"
        )
        .unwrap(),
        s("Hello, mesh! 80 443")
    );
    // The template's own references see only the variables given.
    let e = eval_with(&sc, "templatestring(local.broken, {})")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("main.tf:1:16: error: templatestring(): cannot render the template: "),
        "{e}"
    );
    assert!(e.contains("nope"), "{e}");
    // A literal is refused, as Terraform refuses it.
    let e = eval_with(&sc, "templatestring(\"Hi ${var.name}\", {})")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "main.tf:1:16: error: templatestring(): the template must be a reference to a string"
        ),
        "{e}"
    );
    assert_eq!(
        eval_with(&sc, "templatestring(var.unknown, {})").unwrap(),
        Value::Unknown
    );
    assert!(eval_with(&sc, "templatestring(var.port, {})")
        .unwrap_err()
        .to_string()
        .contains("the template must be a string, got number"));
}

#[test]
fn path_functions_expand_home_and_make_paths_absolute() {
    assert_eq!(
        ev("pathexpand(\"~/.aws/config\")"),
        s("/home/ops/.aws/config")
    );
    assert_eq!(ev("pathexpand(\"~\")"), s("/home/ops"));
    assert_eq!(ev("pathexpand(\"/etc/hosts\")"), s("/etc/hosts"));
    assert!(err("pathexpand(\"~ops/x\")").contains("cannot expand user-specific home directories"));
    assert_eq!(
        ev("abspath(\"policies/../a.json\")"),
        s("/work/mesh/a.json")
    );
    assert_eq!(ev("abspath(\"/tmp//x/\")"), s("/tmp/x"));
}

#[test]
fn base64gzip_compresses_to_what_gunzip_reads_back() {
    use base64::Engine as _;
    use std::io::Read as _;
    let Value::String(encoded) = ev("base64gzip(\"hello, mesh\")") else {
        panic!()
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    // Go's header: no name, no time, operating system unknown.
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
    assert_eq!(bytes[9], 255);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "hello, mesh");
}
