//! Loading the modules a configuration calls.
//!
//! Local sources (`./x`, `../x`) are directories relative to the calling module's
//! directory. Every other source (registry, git, archive) is a module that `trellis init`
//! installed: the caller's resolver says which directory holds it, or why there is none.
//! The caller does the I/O: [`load_modules_with`] asks it for the files of each module
//! directory, so this crate still reads nothing itself, and knows no network.

use trellis_types::{Diagnostic, Diagnostics, Mode, SourceFile, SourceMap};

use crate::blocks::is_local_source;
use crate::diag::did_you_mean;
use crate::model::Config;
use crate::parse::parse;

/// Module calls nested deeper than this are refused (a module calling itself through a
/// path that never repeats, such as `./x/x/x/...`, would otherwise go on until the disk ends).
pub const MAX_MODULE_DEPTH: usize = 16;

/// The most module calls one configuration may load, counting each call in the tree of
/// modules (a module called from two places is loaded twice). Depth alone does not bound
/// the tree: two calls per module, sixteen deep, would be 65,536 loads.
pub const MAX_MODULE_CALLS: usize = 1_000;

/// Reads every module that `root` calls, and the modules those call, into `root.children`.
///
/// `read_dir` gets a module directory relative to the working directory (`modules/net`,
/// `../shared/lattice`) and returns its `*.tf` files, named by their path relative to the
/// working directory (`modules/net/main.tf`), or why it cannot. Every file read is added to
/// `sources`, so that diagnostics can show snippets from it.
///
/// Reports, each at the module call's `source`: a directory that cannot be read or holds no
/// `*.tf` file (with the path tried), a module that calls itself directly or through other
/// modules, and nesting deeper than [`MAX_MODULE_DEPTH`]. Also reports module arguments that
/// name no variable of the module, required variables without an argument, and `provider`
/// blocks inside called modules (provider configurations belong to the root module and are
/// passed down with `providers`).
///
/// Calls with a remote source are reported as not installed; [`load_modules_with`] takes
/// a resolver for them.
pub fn load_modules(
    root: &mut Config,
    sources: &mut SourceMap,
    read_dir: &mut dyn FnMut(&str) -> Result<Vec<SourceFile>, String>,
) -> Diagnostics {
    let mut none = |call: &RemoteCall| -> Result<String, Unresolved> {
        Err(Unresolved {
            summary: format!("module {:?} is not installed", call.key),
            detail: format!(
                "its source {:?} is not a local path; run `trellis init` to install it",
                call.source
            ),
        })
    };
    load_modules_with(root, sources, read_dir, &mut none)
}

/// A module call whose source is not a local path, as [`load_modules_with`] asks its
/// resolver about it.
#[derive(Debug, Clone, Copy)]
pub struct RemoteCall<'a> {
    /// The call's key in the tree of modules: the names of the calls that lead to it,
    /// joined by dots (`net`, `net.subnets`), as Terraform's `modules.json` names them.
    pub key: &'a str,
    pub source: &'a str,
    pub version: Option<&'a str>,
}

/// Why a resolver has no directory for a remote module call; reported at its `source`.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub summary: String,
    pub detail: String,
}

/// [`load_modules`], with `resolve` mapping each remote module call to the directory
/// (relative to the working directory, read through `read_dir` like any other) that holds
/// its installed module. Local sources inside an installed module are relative to its
/// directory, as they are anywhere else.
pub fn load_modules_with(
    root: &mut Config,
    sources: &mut SourceMap,
    read_dir: &mut dyn FnMut(&str) -> Result<Vec<SourceFile>, String>,
    resolve: &mut dyn FnMut(&RemoteCall) -> Result<String, Unresolved>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut chain = vec![Link {
        dir: String::new(),
        display: "the root module".to_string(),
        key: String::new(),
    }];
    let mut loads = 0;
    let mut io = Io { read_dir, resolve };
    load(root, &mut chain, &mut loads, sources, &mut io, &mut diags);
    diags
}

/// Checks `removed` blocks against the whole tree of modules (run it after
/// [`load_modules_with`]): they belong in the root module only, and only for what is no
/// longer declared (a resource or module call both declared and removed is a contradiction
/// Terraform refuses too).
pub fn check_removed(root: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    check_removed_into(root, &mut diags);
    diags
}

fn check_removed_into(root: &Config, diags: &mut Diagnostics) {
    fn in_children(config: &Config, diags: &mut Diagnostics) {
        for child in config.children.values() {
            for r in &child.removed {
                diags.push(
                    Diagnostic::error("removed blocks are only supported in the root module")
                        .with_detail(format!(
                            "move this block to the root module, with `from` naming the module path (`module.NAME.{}`)",
                            r.from_text()
                        ))
                        .with_span(Some(r.span.clone())),
                );
            }
            in_children(child, diags);
        }
    }
    in_children(root, diags);
    for r in &root.removed {
        let (calls, last) = match &r.resource {
            Some(_) => (r.module.as_slice(), None),
            None => match r.module.split_last() {
                Some((last, calls)) => (calls, Some(last)),
                None => continue,
            },
        };
        let Some(module) = root.module(calls) else {
            continue;
        };
        let declared = match (&r.resource, last) {
            (Some((type_name, name)), _) => module
                .resources
                .iter()
                .find(|d| d.mode == Mode::Managed && &d.type_name == type_name && &d.name == name)
                .map(|d| d.span.clone()),
            (None, Some(call)) => module.modules.get(call).map(|c| c.source_span.clone()),
            (None, None) => None,
        };
        if let Some(at) = declared {
            let what = if r.resource.is_some() {
                "resource"
            } else {
                "module call"
            };
            diags.push(
                Diagnostic::error(format!(
                    "removed {what} `{}` is still declared",
                    r.from_text()
                ))
                .with_detail(format!(
                    "it is declared at {}:{}; delete that block to remove it, or delete this removed block to keep it",
                    at.file, at.line
                ))
                .with_span(Some(r.span.clone())),
            );
        }
    }
}

/// A module being loaded, or one of its callers.
struct Link {
    dir: String,
    display: String,
    key: String,
}

struct Io<'a> {
    read_dir: &'a mut dyn FnMut(&str) -> Result<Vec<SourceFile>, String>,
    resolve: &'a mut dyn FnMut(&RemoteCall) -> Result<String, Unresolved>,
}

/// `chain` holds the module being loaded and its callers.
fn load(
    config: &mut Config,
    chain: &mut Vec<Link>,
    loads: &mut usize,
    sources: &mut SourceMap,
    io: &mut Io,
    diags: &mut Diagnostics,
) {
    let calls: Vec<_> = config.modules.values().cloned().collect();
    let parent = chain.last().map(|l| (l.display.clone(), l.key.clone()));
    let (prefix, key_prefix) = match parent {
        Some((display, key)) if display.starts_with("module.") => {
            (format!("{display}."), format!("{key}."))
        }
        _ => (String::new(), String::new()),
    };
    for call in calls {
        let display = format!("{prefix}module.{}", call.name);
        let key = format!("{key_prefix}{}", call.name);
        let dir = if is_local_source(&call.source) {
            join_dir(&config.module_dir, &call.source)
        } else {
            let remote = RemoteCall {
                key: &key,
                source: &call.source,
                version: call.version.as_ref().map(|(v, _)| v.as_str()),
            };
            match (io.resolve)(&remote) {
                Ok(dir) => dir,
                Err(why) => {
                    diags.push(
                        Diagnostic::error(why.summary)
                            .with_detail(why.detail)
                            .with_span(Some(call.source_span.clone())),
                    );
                    continue;
                }
            }
        };
        if let Some(pos) = chain.iter().position(|l| l.dir == dir) {
            let mut path: Vec<String> = chain[pos..]
                .iter()
                .map(|l| format!("{} ({})", l.display, shown(&l.dir)))
                .collect();
            path.push(format!("{display} ({})", shown(&dir)));
            diags.push(
                Diagnostic::error(format!(
                    "module cycle: {display} calls {}, which is already being loaded",
                    shown(&dir)
                ))
                .with_detail(format!(
                    "each of these calls the next: {}",
                    path.join(" -> ")
                ))
                .with_span(Some(call.source_span.clone())),
            );
            continue;
        }
        if *loads >= MAX_MODULE_CALLS {
            if *loads == MAX_MODULE_CALLS {
                *loads += 1;
                diags.push(
                    Diagnostic::error(format!("too many module calls at {display}"))
                        .with_detail(format!(
                            "a configuration may load at most {MAX_MODULE_CALLS} module calls, \
                             counting each call in the tree of modules"
                        ))
                        .with_span(Some(call.source_span.clone())),
                );
            }
            return;
        }
        if chain.len() > MAX_MODULE_DEPTH {
            diags.push(
                Diagnostic::error(format!("modules nested too deeply at {display}"))
                    .with_detail(format!(
                        "module calls may be nested at most {MAX_MODULE_DEPTH} levels deep"
                    ))
                    .with_span(Some(call.source_span.clone())),
            );
            continue;
        }
        let files = match (io.read_dir)(&dir) {
            Ok(files)
                if files
                    .iter()
                    .any(|f| f.name.ends_with(".tf") || f.name.ends_with(".tf.json")) =>
            {
                files
            }
            Ok(_) => {
                diags.push(
                    Diagnostic::error(format!(
                        "module directory {} has no configuration files",
                        shown(&dir)
                    ))
                    .with_detail(format!(
                        "{display} has source {:?}, which is {}: it holds no *.tf file",
                        call.source,
                        shown(&dir)
                    ))
                    .with_span(Some(call.source_span.clone())),
                );
                continue;
            }
            Err(why) => {
                diags.push(
                    Diagnostic::error(format!("cannot read module directory {}", shown(&dir)))
                        .with_detail(format!(
                            "{display} has source {:?}, which is {}: {why}",
                            call.source,
                            shown(&dir)
                        ))
                        .with_span(Some(call.source_span.clone())),
                );
                continue;
            }
        };
        let mut own = SourceMap::new();
        for file in files {
            if sources.get(&file.name).is_none() {
                sources.add(file.clone());
            }
            own.add(file);
        }
        let (mut child, child_diags) = parse(&own);
        diags.extend(child_diags);
        child.module_dir = dir.clone();
        check_call(&call, &child, &display, diags);
        *loads += 1;
        chain.push(Link { dir, display, key });
        load(&mut child, chain, loads, sources, io, diags);
        chain.pop();
        config.children.insert(call.name.clone(), child);
    }
}

/// Arguments against the module's variables, and what a called module may not contain.
fn check_call(call: &crate::ModuleCall, child: &Config, display: &str, diags: &mut Diagnostics) {
    let names: Vec<&str> = child.variables.keys().map(String::as_str).collect();
    for argument in call.arguments.values() {
        if child.variables.contains_key(&argument.name) {
            continue;
        }
        let detail = did_you_mean(&argument.name, &names).unwrap_or_else(|| {
            format!(
                "the module in {} has no variable {:?}",
                shown(&child.module_dir),
                argument.name
            )
        });
        diags.push(
            Diagnostic::error(format!(
                "unsupported argument `{}` for {display}",
                argument.name
            ))
            .with_detail(detail)
            .with_span(Some(argument.span.clone())),
        );
    }
    for variable in child.variables.values() {
        if variable.default.is_none() && !call.arguments.contains_key(&variable.name) {
            diags.push(
                Diagnostic::error(format!(
                    "missing required argument `{}` for {display}",
                    variable.name
                ))
                .with_detail(format!(
                    "the module's variable {:?} ({}) has no default",
                    variable.name, variable.span
                ))
                .with_span(Some(call.header.clone())),
            );
        }
    }
    for provider in &child.providers {
        diags.push(
            Diagnostic::error(format!(
                "provider configuration {} inside {display}",
                provider.key()
            ))
            .with_detail(
                "trellis takes provider configurations only from the root module: declare it there and pass it with providers = { ... } in the module block (a module without its own provider block inherits the root's default configurations)",
            )
            .with_span(Some(provider.span.clone())),
        );
    }
    if let Some(backend) = &child.terraform.backend {
        diags.push(
            Diagnostic::error(format!("backend configuration inside {display}"))
                .with_detail("only the root module may configure a backend")
                .with_span(Some(backend.span.clone())),
        );
    }
}

/// A directory as diagnostics show it.
fn shown(dir: &str) -> String {
    if dir.is_empty() {
        "the working directory".to_string()
    } else {
        format!("{dir:?}")
    }
}

/// `source` resolved against the calling module's directory, lexically: `.` steps dropped,
/// `..` steps taking back a name. The working directory is the empty string.
pub fn join_dir(base: &str, source: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_none_or(|p| *p == "..") {
                    parts.push("..");
                } else {
                    parts.pop();
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module calls two others in fresh directories: the tree doubles per level and
    /// depth alone would allow 2^16 loads. Loading stops at the cap with one diagnostic.
    #[test]
    fn a_tree_of_module_calls_is_capped() {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new(
            "main.tf",
            "module \"a\" {\n  source = \"./a\"\n}\nmodule \"b\" {\n  source = \"./b\"\n}\n",
        ));
        let (mut root, diags) = crate::parse(&sources);
        assert!(!diags.has_errors());
        let mut reads = 0usize;
        let mut read_dir = |dir: &str| -> Result<Vec<SourceFile>, String> {
            reads += 1;
            Ok(vec![SourceFile::new(
                format!("{dir}/main.tf"),
                "module \"a\" {\n  source = \"./a\"\n}\nmodule \"b\" {\n  source = \"./b\"\n}\n",
            )])
        };
        let diags = load_modules(&mut root, &mut sources, &mut read_dir);
        let capped: Vec<_> = diags
            .iter()
            .filter(|d| d.summary.starts_with("too many module calls"))
            .collect();
        assert_eq!(capped.len(), 1, "one diagnostic: {diags:?}");
        assert!(reads <= MAX_MODULE_CALLS, "{reads} directories read");
    }

    #[test]
    fn joins_lexically() {
        assert_eq!(join_dir("", "./modules/net"), "modules/net");
        assert_eq!(join_dir("modules/net", "../svc"), "modules/svc");
        assert_eq!(join_dir("", "../shared/x"), "../shared/x");
        assert_eq!(join_dir("../shared", "../../y"), "../../y");
        assert_eq!(join_dir("modules/a", "./"), "modules/a");
        assert_eq!(join_dir("modules/a", "../.."), "");
    }
}
