//! Values on their own: `trellis output NAME` and `trellis state show ADDR`.

use std::fmt::Write as _;

use trellis_types::{Address, Mode, Path, Value};

use crate::diff::{inline, key_text, write_lines, At, Differ, Layout, Sym};
use crate::style::Style;

/// A value in HCL-like syntax, over several lines for non-empty collections (two spaces per
/// level), the way `terraform output` shows it. Sensitive parts are shown as
/// `(sensitive value)`, unknown ones as `(known after apply)`.
pub fn render_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::String(s) if s.contains('\n') => {
            out.push_str("<<EOT\n");
            for line in s.lines() {
                let _ = writeln!(out, "{line}");
            }
            let _ = write!(out, "EOT");
        }
        Value::List(items) if !items.is_empty() => {
            out.push_str("[\n");
            for item in items {
                let _ = write!(out, "{pad}  ");
                write_value(out, item, indent + 1);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}]");
        }
        Value::Map(map) if !map.is_empty() => {
            out.push_str("{\n");
            let width = map
                .keys()
                .map(|k| key_text(k).chars().count())
                .max()
                .unwrap_or(0);
            for (k, item) in map {
                let _ = write!(out, "{pad}  {:<width$} = ", key_text(k));
                write_value(out, item, indent + 1);
                out.push('\n');
            }
            let _ = write!(out, "{pad}}}");
        }
        other => out.push_str(&inline(other)),
    }
}

/// One resource instance as `trellis state show` prints it:
///
/// ```text
/// # aws_vpclattice_service.orders:
/// resource "aws_vpclattice_service" "orders" {
///     arn       = "arn:aws:vpc-lattice:us-east-1:111111111111:service/svc-0123"
///     auth_type = "AWS_IAM"
/// }
/// ```
///
/// Attributes at `sensitive_paths` (and any sensitive mark inside `value`) are shown as
/// `(sensitive value)`; null attributes are left out.
pub fn render_state_resource(
    address: &Address,
    type_name: &str,
    value: &Value,
    sensitive_paths: &[Path],
) -> String {
    let mut differ = Differ::new(sensitive_paths, sensitive_paths, &[]);
    differ.hide_unchanged = false;
    let keyword = match address.mode {
        Mode::Managed => "resource",
        Mode::Data => "data",
    };
    differ.open(
        0,
        Sym::Keep,
        format!(
            "{keyword} {} {} {{",
            crate::diff::quote(type_name),
            crate::diff::quote(&address.name)
        ),
    );
    differ.object_body(1, &At::root(), value, value, "attribute", &[]);
    differ.push(0, Sym::Keep, "}");
    let mut out = format!("# {address}:\n");
    write_lines(
        &mut out,
        &differ.lines,
        Layout::Plain { indent: 4 },
        Style::PLAIN,
    );
    out
}
