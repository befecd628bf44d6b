//! Terraform's module source addresses.
//!
//! - local paths: `./x`, `../x` (read in place, never installed);
//! - registry modules: `NAMESPACE/NAME/PROVIDER`, optionally behind `HOST/`, optionally
//!   followed by `//SUBDIR`;
//! - git repositories: `git::URL`, with `?ref=` (a tag, branch or commit) and `?depth=`,
//!   and `//SUBDIR` (before or after the query), plus the `github.com/ORG/REPO` and
//!   `git@HOST:PATH` shorthands;
//! - archives over HTTP(S): `https://.../x.zip`, `.tar.gz` or `.tgz`, or any URL with
//!   `?archive=zip|tar.gz`, optionally `?checksum=sha256:HEX`, and `//SUBDIR`.
//!
//! S3, GCS and Mercurial sources are refused with a message that says so.

use std::fmt;

/// The registry that `NAMESPACE/NAME/PROVIDER` without a host means.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Local(String),
    Registry(RegistryAddress),
    Git(GitSource),
    Archive(ArchiveSource),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAddress {
    /// `registry.terraform.io`, or the host written (lowercase, port kept).
    pub host: String,
    pub namespace: String,
    pub name: String,
    pub provider: String,
    pub subdir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    /// What `git clone` is given.
    pub url: String,
    pub reference: Option<String>,
    pub depth: Option<u32>,
    pub subdir: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    TarGz,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSource {
    /// What is downloaded (without the `archive` and `checksum` arguments).
    pub url: String,
    pub kind: ArchiveKind,
    /// `sha256:HEX` or `sha512:HEX`, checked before unpacking.
    pub checksum: Option<(String, String)>,
    pub subdir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct SourceError {
    pub why: String,
}

fn err<T>(why: impl Into<String>) -> Result<T, SourceError> {
    Err(SourceError { why: why.into() })
}

impl fmt::Display for RegistryAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host != DEFAULT_REGISTRY {
            write!(f, "{}/", self.host)?;
        }
        write!(f, "{}/{}/{}", self.namespace, self.name, self.provider)?;
        if let Some(s) = &self.subdir {
            write!(f, "//{s}")?;
        }
        Ok(())
    }
}

impl RegistryAddress {
    /// The module's path in the registry API: `NAMESPACE/NAME/PROVIDER`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.name, self.provider)
    }
}

impl Source {
    pub fn is_registry(&self) -> bool {
        matches!(self, Source::Registry(_))
    }

    /// The subdirectory of the package that holds the module.
    pub fn subdir(&self) -> Option<&str> {
        match self {
            Source::Local(_) => None,
            Source::Registry(r) => r.subdir.as_deref(),
            Source::Git(g) => g.subdir.as_deref(),
            Source::Archive(a) => a.subdir.as_deref(),
        }
    }
}

/// Parses a module `source` as Terraform does.
pub fn parse(source: &str) -> Result<Source, SourceError> {
    let s = source.trim();
    if s.is_empty() {
        return err("the source is empty");
    }
    if s.starts_with("./") || s.starts_with("../") || s == "." || s == ".." {
        return Ok(Source::Local(s.to_string()));
    }
    if let Some((forced, _)) = s.split_once("::") {
        if !forced.contains('/') {
            return match forced {
                "git" => git(&s[5..]),
                "s3" | "gcs" | "hg" => err(format!(
                    "{forced}:: sources are not supported: trellis installs modules from registries, git repositories and .zip or .tar.gz archives over HTTPS"
                )),
                other => err(format!(
                    "unknown source type {other}::; trellis installs registry modules, git:: repositories and http(s) archives"
                )),
            };
        }
    }
    if s.starts_with('/') {
        return err("absolute paths are not module sources; write a path relative to the calling module, starting with ./ or ../");
    }
    if let Some(rest) = s.strip_prefix("github.com/") {
        let (path, subdir, query) = split_subdir_and_query(rest);
        let mut parts = path.trim_end_matches(".git").splitn(3, '/');
        let (Some(org), Some(repo)) = (parts.next(), parts.next()) else {
            return err(
                "a github.com source needs an organization and a repository: github.com/ORG/REPO",
            );
        };
        let mut url = format!("https://github.com/{org}/{repo}.git");
        if let Some(q) = query {
            url.push('?');
            url.push_str(&q);
        }
        if let Some(sub) = subdir {
            url.push_str("//");
            url.push_str(&sub);
        }
        return git(&url);
    }
    if s.starts_with("bitbucket.org/") {
        return err("bitbucket.org shorthand is not supported; write git::https://bitbucket.org/ORG/REPO.git");
    }
    if s.starts_with("git@") {
        return git(s);
    }
    if s.contains(".s3.amazonaws.com/")
        || s.contains(".s3-")
        || s.starts_with("www.googleapis.com/storage/")
    {
        return err("S3 and GCS sources are not supported: trellis installs modules from registries, git repositories and .zip or .tar.gz archives over HTTPS");
    }
    if s.starts_with("https://") || s.starts_with("http://") {
        return archive(s);
    }
    if s.contains("://") {
        return err(format!(
            "unsupported source {s:?}: use a registry address, git::URL or an https:// archive"
        ));
    }
    registry(s)
}

/// `HOST/NS/NAME/PROVIDER//SUB` or `NS/NAME/PROVIDER//SUB`.
fn registry(s: &str) -> Result<Source, SourceError> {
    let (path, subdir) = match s.split_once("//") {
        Some((p, sub)) => (p, Some(clean_subdir(sub)?)),
        None => (s, None),
    };
    let parts: Vec<&str> = path.split('/').collect();
    let (host, rest) = match parts.as_slice() {
        [ns, name, provider] => (DEFAULT_REGISTRY.to_string(), [*ns, *name, *provider]),
        [host, ns, name, provider] => {
            if !valid_host(host) {
                return err(format!("invalid registry host {host:?} in {s:?}"));
            }
            (host.to_ascii_lowercase(), [*ns, *name, *provider])
        }
        _ => {
            return err(format!(
                "{s:?} is not a module source: expected a local path (./ or ../), a registry address NAMESPACE/NAME/PROVIDER, git::URL or an https:// archive"
            ))
        }
    };
    let [namespace, name, provider] = rest;
    for (what, part) in [("namespace", namespace), ("name", name)] {
        let ok = !part.is_empty()
            && part.len() <= 64
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && part
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !ok {
            return err(format!(
                "invalid registry module {what} {part:?} in {s:?}: letters, digits, dashes and underscores"
            ));
        }
    }
    if provider.is_empty()
        || provider.len() > 64
        || !provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return err(format!(
            "invalid registry module provider {provider:?} in {s:?}: lowercase letters and digits, such as aws"
        ));
    }
    Ok(Source::Registry(RegistryAddress {
        host,
        namespace: namespace.to_string(),
        name: name.to_string(),
        provider: provider.to_string(),
        subdir,
    }))
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let name_ok = (name.contains('.') || name == "localhost")
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    name_ok && port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok())
}

/// Splits `URL[//SUB][?QUERY]` (the query may also come after the subdirectory, or the
/// subdirectory after the query, as go-getter allows) into (URL without either,
/// subdirectory, query).
fn split_subdir_and_query(s: &str) -> (String, Option<String>, Option<String>) {
    let after_scheme = s.find("://").map_or(0, |i| i + 3);
    let (mut url, mut subdir) = match s[after_scheme..].find("//") {
        Some(i) => (
            s[..after_scheme + i].to_string(),
            Some(s[after_scheme + i + 2..].to_string()),
        ),
        None => (s.to_string(), None),
    };
    let mut query = None;
    if let Some((u, q)) = url.clone().split_once('?') {
        url = u.to_string();
        query = Some(q.to_string());
    }
    if let Some(sub) = subdir.clone() {
        if let Some((sd, q)) = sub.split_once('?') {
            subdir = Some(sd.to_string());
            query = Some(match query {
                Some(existing) => format!("{existing}&{q}"),
                None => q.to_string(),
            });
        }
    }
    (url, subdir, query)
}

fn clean_subdir(sub: &str) -> Result<String, SourceError> {
    let sub = sub.trim_matches('/');
    if sub.is_empty() {
        return err("empty subdirectory after //");
    }
    if sub.split('/').any(|p| p == "..") {
        return err(format!("subdirectory {sub:?} leaves the package"));
    }
    Ok(sub.to_string())
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn git(s: &str) -> Result<Source, SourceError> {
    let (url, subdir, query) = split_subdir_and_query(s);
    if url.is_empty() {
        return err("git:: needs a repository URL");
    }
    let mut reference = None;
    let mut depth = None;
    let mut rest = Vec::new();
    for (k, v) in query.as_deref().map(query_pairs).unwrap_or_default() {
        match k.as_str() {
            "ref" if !v.is_empty() => reference = Some(v),
            "depth" => match v.parse::<u32>() {
                Ok(d) if d > 0 => depth = Some(d),
                _ => {
                    return err(format!(
                        "invalid git depth {v:?}: expected a positive number"
                    ))
                }
            },
            "sshkey" => {
                return err(
                    "sshkey is not supported: give git a key through ssh-agent or ~/.ssh/config",
                )
            }
            _ => rest.push((k, v)),
        }
    }
    if !rest.is_empty() {
        let names: Vec<&str> = rest.iter().map(|(k, _)| k.as_str()).collect();
        return err(format!(
            "unsupported git source arguments: {} (git sources take ref and depth)",
            names.join(", ")
        ));
    }
    Ok(Source::Git(GitSource {
        url,
        reference,
        depth,
        subdir: subdir.map(|s| clean_subdir(&s)).transpose()?,
    }))
}

fn archive(s: &str) -> Result<Source, SourceError> {
    let (url, subdir, query) = split_subdir_and_query(s);
    let mut kind = None;
    let mut checksum = None;
    let mut kept = Vec::new();
    for (k, v) in query.as_deref().map(query_pairs).unwrap_or_default() {
        match k.as_str() {
            "archive" => {
                kind = Some(match v.as_str() {
                    "zip" => ArchiveKind::Zip,
                    "tar.gz" | "tgz" => ArchiveKind::TarGz,
                    other => {
                        return err(format!(
                            "unsupported archive type {other:?}: trellis unpacks zip and tar.gz"
                        ))
                    }
                })
            }
            "checksum" => {
                let Some((algo, hex)) = v.split_once(':') else {
                    return err("checksum must be TYPE:HEX, such as sha256:...");
                };
                if !matches!(algo, "sha256" | "sha512") {
                    return err(format!(
                        "unsupported checksum type {algo:?}: use sha256 or sha512"
                    ));
                }
                checksum = Some((algo.to_string(), hex.to_ascii_lowercase()));
            }
            _ => kept.push((k, v)),
        }
    }
    let path = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .to_ascii_lowercase();
    let kind = match kind {
        Some(k) => k,
        None if path.ends_with(".zip") => ArchiveKind::Zip,
        None if path.ends_with(".tar.gz") || path.ends_with(".tgz") => ArchiveKind::TarGz,
        None => {
            return err(format!(
                "unsupported source {s:?}: an http(s) source must be a .zip or .tar.gz archive (or say which with ?archive=zip or ?archive=tar.gz); for a git repository write git::{url}"
            ))
        }
    };
    let mut download = url::Url::parse(&url).map_err(|e| SourceError {
        why: format!("invalid URL {url:?}: {e}"),
    })?;
    if !kept.is_empty() {
        download.query_pairs_mut().extend_pairs(kept);
    }
    Ok(Source::Archive(ArchiveSource {
        url: download.to_string(),
        kind,
        checksum,
        subdir: subdir.map(|s| clean_subdir(&s)).transpose()?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(s: &str) -> RegistryAddress {
        match parse(s).unwrap() {
            Source::Registry(r) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn git_of(s: &str) -> GitSource {
        match parse(s).unwrap() {
            Source::Git(g) => g,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn registry_addresses() {
        let r = reg("terraform-aws-modules/vpc/aws");
        assert_eq!(
            (r.host.as_str(), r.path().as_str(), r.subdir),
            (DEFAULT_REGISTRY, "terraform-aws-modules/vpc/aws", None)
        );
        let r = reg("app.terraform.io/acme/label/aws//modules/x");
        assert_eq!(r.host, "app.terraform.io");
        assert_eq!(r.subdir.as_deref(), Some("modules/x"));
        assert_eq!(reg("localhost:8080/a/b/c").host, "localhost:8080");
        assert_eq!(reg("aws-ia/label/aws").to_string(), "aws-ia/label/aws");
    }

    #[test]
    fn git_sources() {
        let g = git_of("git::https://example.com/vpc.git?ref=v1.2.0//modules/x");
        assert_eq!(g.url, "https://example.com/vpc.git");
        assert_eq!(g.reference.as_deref(), Some("v1.2.0"));
        assert_eq!(g.subdir.as_deref(), Some("modules/x"));
        let g = git_of("git::https://example.com/vpc.git//modules/x?ref=main&depth=1");
        assert_eq!(
            (g.reference.as_deref(), g.depth, g.subdir.as_deref()),
            (Some("main"), Some(1), Some("modules/x"))
        );
        let g = git_of("github.com/acme/lattice//modules/svc?ref=v2");
        assert_eq!(g.url, "https://github.com/acme/lattice.git");
        assert_eq!(g.reference.as_deref(), Some("v2"));
        assert_eq!(g.subdir.as_deref(), Some("modules/svc"));
        let g = git_of("git::file:///tmp/repo?ref=v1.0.0");
        assert_eq!(g.url, "file:///tmp/repo");
        let g = git_of("git@github.com:acme/x.git");
        assert_eq!(g.url, "git@github.com:acme/x.git");
    }

    #[test]
    fn archives() {
        let Source::Archive(a) = parse("https://example.com/m.tar.gz//sub").unwrap() else {
            panic!()
        };
        assert_eq!(
            (a.url.as_str(), a.kind),
            ("https://example.com/m.tar.gz", ArchiveKind::TarGz)
        );
        assert_eq!(a.subdir.as_deref(), Some("sub"));
        let Source::Archive(a) =
            parse("https://example.com/get?token=1&archive=zip&checksum=sha256:AB").unwrap()
        else {
            panic!()
        };
        assert_eq!(a.kind, ArchiveKind::Zip);
        assert_eq!(a.url, "https://example.com/get?token=1");
        assert_eq!(a.checksum, Some(("sha256".into(), "ab".into())));
    }

    #[test]
    fn refused_kinds_say_what_is_supported() {
        for (s, needle) in [
            (
                "s3::https://s3.amazonaws.com/b/m.zip",
                "s3:: sources are not supported",
            ),
            (
                "gcs::https://www.googleapis.com/storage/v1/b/m.zip",
                "gcs:: sources",
            ),
            ("hg::https://example.com/repo", "hg:: sources"),
            ("bucket.s3.amazonaws.com/m.zip", "S3 and GCS"),
            ("https://example.com/page", "must be a .zip or .tar.gz"),
            ("a/b", "is not a module source"),
            ("acme/vpc/AWS", "invalid registry module provider"),
            (
                "git::https://x/y.git?foo=1",
                "unsupported git source arguments: foo",
            ),
            ("/abs/path", "absolute paths"),
        ] {
            let e = parse(s).unwrap_err();
            assert!(e.why.contains(needle), "{s}: {}", e.why);
        }
        assert_eq!(parse("./x").unwrap(), Source::Local("./x".into()));
    }
}
