//! Installed providers: Terraform's provider source addresses, the dependency lock file
//! `.terraform.lock.hcl` (read and written in Terraform's format), the package hashes it
//! records (`h1:`, Terraform's dirhash "Hash1" of the unpacked package; `zh:`, the SHA-256
//! of the zip), and [`installed`], which later commands call to find each provider's
//! executable without any network.
//!
//! Layout (Terraform's unpacked layout under the working directory):
//! `.trellis/providers/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/`, holding the
//! unpacked package; the executable is the file named `terraform-provider-<type>*`.
//!
//! [`mirror`] installs from filesystem mirrors. What this module is not (yet): it does not
//! fetch providers from network mirrors or registries.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use sha2::{Digest as _, Sha256};

pub mod mirror;
pub mod requirements;

/// Where installed providers live, relative to the working directory.
pub const PROVIDERS_DIR: &str = ".trellis/providers";
/// The dependency lock file, relative to the working directory.
pub const LOCK_FILE: &str = ".terraform.lock.hcl";
/// The default registry host of a source address without one.
pub const DEFAULT_HOST: &str = "registry.terraform.io";
/// The default namespace of a one-part source address (`random`).
pub const DEFAULT_NAMESPACE: &str = "hashicorp";

const LOCK_HEADER: &str = "# This file is maintained automatically by \"trellis init\".\n# Manual edits may be lost in future updates.\n";

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A source address that does not parse.
    #[error("invalid provider source address {address:?}: {why}")]
    Address { address: String, why: String },
    /// The lock file cannot be read or parsed.
    #[error("{path}: {why}")]
    Lock { path: String, why: String },
    /// A locked provider has no package installed.
    #[error("provider {provider} {version} is not installed: {why}; run `trellis init`")]
    NotInstalled {
        provider: String,
        version: String,
        why: String,
    },
    /// A provider that cannot be installed.
    #[error("cannot install provider {provider}: {why}")]
    Install { provider: String, why: String },
    /// An installed package whose hash is not one the lock file records.
    #[error("provider {provider} {version}: {file} does not match the checksums in .terraform.lock.hcl (got {got}); run `trellis init` to install it again")]
    Mismatch {
        provider: String,
        version: String,
        file: String,
        got: String,
    },
}

/// A provider source address: `HOSTNAME/NAMESPACE/TYPE`, lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderAddr {
    pub hostname: String,
    pub namespace: String,
    pub r#type: String,
}

impl fmt::Display for ProviderAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.hostname, self.namespace, self.r#type)
    }
}

fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 64
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !part.starts_with('-')
        && !part.ends_with('-')
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl ProviderAddr {
    /// Parses `TYPE`, `NAMESPACE/TYPE` or `HOSTNAME/NAMESPACE/TYPE` (Terraform's defaults:
    /// host `registry.terraform.io`, namespace `hashicorp`).
    pub fn parse(address: &str) -> Result<ProviderAddr, ProviderError> {
        let fail = |why: &str| ProviderError::Address {
            address: address.to_string(),
            why: why.to_string(),
        };
        let lower = address.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        let (hostname, namespace, r#type) = match parts.as_slice() {
            [t] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *t),
            [n, t] => (DEFAULT_HOST, *n, *t),
            [h, n, t] => (*h, *n, *t),
            _ => {
                return Err(fail(
                    "expected HOSTNAME/NAMESPACE/TYPE, NAMESPACE/TYPE or TYPE",
                ))
            }
        };
        if !valid_host(hostname) {
            return Err(fail("the hostname is not a valid host name"));
        }
        if !valid_part(namespace) {
            return Err(fail("the namespace must be letters, digits and dashes"));
        }
        if !valid_part(r#type) {
            return Err(fail("the type must be letters, digits and dashes"));
        }
        if r#type.starts_with("terraform-provider-") {
            return Err(fail(
                "the type is the name without the `terraform-provider-` prefix",
            ));
        }
        Ok(ProviderAddr {
            hostname: hostname.to_string(),
            namespace: namespace.to_string(),
            r#type: r#type.to_string(),
        })
    }

    /// The package directory of `version` for `platform` (`linux_amd64`) under `root`.
    pub fn package_dir(&self, root: &Path, version: &str, platform: &str) -> PathBuf {
        root.join(&self.hostname)
            .join(&self.namespace)
            .join(&self.r#type)
            .join(version)
            .join(platform)
    }
}

/// This machine's platform in Terraform's spelling: `linux_amd64`, `darwin_arm64`.
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// Terraform's `h1:` hash of an unpacked package: golang.org/x/mod's dirhash "Hash1", a
/// SHA-256 over the sorted lines `<sha256 hex>  <relative path>\n` of every file.
pub fn hash_dir(dir: &Path) -> std::io::Result<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let mut summary = Sha256::new();
    for name in &files {
        let bytes = std::fs::read(dir.join(name))?;
        let digest = Sha256::digest(&bytes);
        summary.update(format!("{}  {name}\n", hex(&digest)));
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    ))
}

/// Terraform's `zh:` hash of a package zip: the SHA-256 of the archive, in hex.
pub fn hash_zip(bytes: &[u8]) -> String {
    format!("zh:{}", hex(&Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Follows links, as Go's os.Stat in dirhash does.
        let meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(name.join("/"));
        }
    }
    Ok(())
}

/// One `provider` block of the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub version: String,
    /// The constraints the configuration had when it was locked, as one string.
    pub constraints: Option<String>,
    /// `h1:` and `zh:` hashes, sorted.
    pub hashes: Vec<String>,
}

/// The dependency lock file: provider address to its locked version and hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockFile {
    pub providers: BTreeMap<ProviderAddr, Locked>,
}

fn string_of(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

impl LockFile {
    /// The lock file of `work_dir`; empty when there is none.
    pub fn read(work_dir: &Path) -> Result<LockFile, ProviderError> {
        let path = work_dir.join(LOCK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => LockFile::parse(&text).map_err(|why| ProviderError::Lock {
                path: LOCK_FILE.to_string(),
                why,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LockFile::default()),
            Err(e) => Err(ProviderError::Lock {
                path: LOCK_FILE.to_string(),
                why: format!("cannot read it: {e}"),
            }),
        }
    }

    /// Parses Terraform's lock file format; a block or argument it does not know is an error,
    /// as in Terraform, so that a lock file is never half understood.
    pub fn parse(text: &str) -> Result<LockFile, String> {
        let body: Body = hcl_edit::parser::parse_body(text).map_err(|e| e.to_string())?;
        let mut lock = LockFile::default();
        if let Some(attr) = body.attributes().next() {
            return Err(format!(
                "unexpected argument `{}` outside a provider block",
                attr.key.as_str()
            ));
        }
        for block in body.blocks() {
            if block.ident.as_str() != "provider" {
                return Err(format!("unexpected block `{}`", block.ident.as_str()));
            }
            let [label] = block.labels.as_slice() else {
                return Err("a provider block takes one label, the provider's address".into());
            };
            let addr = ProviderAddr::parse(label.as_str()).map_err(|e| e.to_string())?;
            let mut version = None;
            let mut constraints = None;
            let mut hashes = Vec::new();
            for attr in block.body.attributes() {
                let name = attr.key.as_str();
                match name {
                    "version" => version = string_of(&attr.value),
                    "constraints" => constraints = string_of(&attr.value),
                    "hashes" => {
                        let Expression::Array(items) = &attr.value else {
                            return Err(format!("provider {addr}: hashes must be a list"));
                        };
                        for item in items.iter() {
                            hashes.push(string_of(item).ok_or_else(|| {
                                format!("provider {addr}: each hash must be a string")
                            })?);
                        }
                    }
                    other => return Err(format!("provider {addr}: unexpected argument `{other}`")),
                }
            }
            let version = version.ok_or_else(|| format!("provider {addr}: missing `version`"))?;
            hashes.sort();
            hashes.dedup();
            if lock
                .providers
                .insert(
                    addr.clone(),
                    Locked {
                        version,
                        constraints,
                        hashes,
                    },
                )
                .is_some()
            {
                return Err(format!("provider {addr} is locked twice"));
            }
        }
        Ok(lock)
    }

    /// The file's text in Terraform's format: the header comment, then one block per
    /// provider in address order, hashes sorted.
    pub fn render(&self) -> String {
        let mut out = String::from(LOCK_HEADER);
        for (addr, locked) in &self.providers {
            out.push('\n');
            out.push_str(&format!("provider {:?} {{\n", addr.to_string()));
            // hclwrite aligns the `=` of consecutive single-line arguments.
            match &locked.constraints {
                Some(c) => {
                    out.push_str(&format!("  version     = {:?}\n", locked.version));
                    out.push_str(&format!("  constraints = {c:?}\n"));
                }
                None => out.push_str(&format!("  version = {:?}\n", locked.version)),
            }
            let mut hashes = locked.hashes.clone();
            hashes.sort();
            hashes.dedup();
            out.push_str("  hashes = [\n");
            for h in &hashes {
                out.push_str(&format!("    {h:?},\n"));
            }
            out.push_str("  ]\n}\n");
        }
        out
    }

    /// Writes the file next to the configuration (through a temporary file and a rename,
    /// so a reader never sees half of it).
    pub fn write(&self, work_dir: &Path) -> Result<(), ProviderError> {
        let path = work_dir.join(LOCK_FILE);
        let tmp = work_dir.join(format!("{LOCK_FILE}.tmp"));
        let fail = |e: std::io::Error| ProviderError::Lock {
            path: LOCK_FILE.to_string(),
            why: format!("cannot write it: {e}"),
        };
        std::fs::write(&tmp, self.render()).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }
}

/// A provider `trellis init` installed, as later commands find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledProvider {
    pub source: ProviderAddr,
    pub version: String,
    pub executable: PathBuf,
}

/// The executable of an unpacked package: the file named `terraform-provider-<type>*`.
pub fn executable_in(dir: &Path, type_name: &str) -> Option<PathBuf> {
    let prefix = format!("terraform-provider-{type_name}");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Every provider of the lock file with its installed executable, each package checked
/// against the lock file's hashes. Reads no network: a provider that is locked but not
/// installed, or whose package changed, is an error that says to run `trellis init`.
/// Providers trellis serves natively may be locked without a package (their lock entry is
/// kept for Terraform); they are left out, and the caller decides which it needs.
pub fn installed(work_dir: &Path) -> Result<Vec<InstalledProvider>, ProviderError> {
    let lock = LockFile::read(work_dir)?;
    let root = work_dir.join(PROVIDERS_DIR);
    let platform = platform();
    let mut out = Vec::new();
    for (addr, locked) in &lock.providers {
        let dir = addr.package_dir(&root, &locked.version, &platform);
        if !dir.is_dir() {
            if is_native(addr) {
                continue;
            }
            return Err(ProviderError::NotInstalled {
                provider: addr.to_string(),
                version: locked.version.clone(),
                why: format!("there is no package for {platform}"),
            });
        }
        let Some(executable) = executable_in(&dir, &addr.r#type) else {
            return Err(ProviderError::NotInstalled {
                provider: addr.to_string(),
                version: locked.version.clone(),
                why: format!(
                    "{} has no terraform-provider-{} executable",
                    dir.display(),
                    addr.r#type
                ),
            });
        };
        let got = hash_dir(&dir).map_err(|e| ProviderError::NotInstalled {
            provider: addr.to_string(),
            version: locked.version.clone(),
            why: format!("cannot read {}: {e}", dir.display()),
        })?;
        if !locked.hashes.contains(&got) {
            return Err(ProviderError::Mismatch {
                provider: addr.to_string(),
                version: locked.version.clone(),
                file: executable.display().to_string(),
                got,
            });
        }
        out.push(InstalledProvider {
            source: addr.clone(),
            version: locked.version.clone(),
            executable,
        });
    }
    Ok(out)
}

/// `registry.terraform.io/hashicorp/aws`, whose types trellis serves natively where it can.
pub fn is_native(addr: &ProviderAddr) -> bool {
    addr.hostname == DEFAULT_HOST && addr.namespace == DEFAULT_NAMESPACE && addr.r#type == "aws"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_take_terraforms_defaults() {
        let a = ProviderAddr::parse("random").unwrap();
        assert_eq!(a.to_string(), "registry.terraform.io/hashicorp/random");
        let a = ProviderAddr::parse("Example/Thing").unwrap();
        assert_eq!(a.to_string(), "registry.terraform.io/example/thing");
        let a = ProviderAddr::parse("registry.test:8443/corp/tls").unwrap();
        assert_eq!(a.hostname, "registry.test:8443");
        for bad in [
            "a/b/c/d",
            "hashicorp/",
            "bad host/x/y",
            "x/terraform-provider-y",
            "",
        ] {
            assert!(ProviderAddr::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn hash1_is_golangs_dirhash() {
        // dirhash.Hash1 over one file "a" holding "hello\n": the summary is
        // "<sha256 of hello\n>  a\n"; its SHA-256, in base64.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "hello\n").unwrap();
        let file_hex = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
        let want = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(format!("{file_hex}  a\n")));
        assert_eq!(hash_dir(dir.path()).unwrap(), format!("h1:{want}"));
        // A file in a subdirectory is named with a slash, and order is by name.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d").join("b"), "").unwrap();
        let empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let want = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(format!("{file_hex}  a\n{empty_hex}  d/b\n")));
        assert_eq!(hash_dir(dir.path()).unwrap(), format!("h1:{want}"));
        assert_eq!(
            hash_zip(b""),
            format!("zh:{empty_hex}"),
            "zh: is the archive's sha256"
        );
    }

    const TERRAFORM_LOCK: &str = r#"# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/random" {
  version     = "3.6.0"
  constraints = "~> 3.0"
  hashes = [
    "zh:bbb",
    "h1:aaa=",
  ]
}

provider "registry.terraform.io/hashicorp/aws" {
  version = "5.80.0"
  hashes = [
    "h1:ccc=",
  ]
}
"#;

    #[test]
    fn reads_terraforms_lock_file_and_writes_it_sorted() {
        let lock = LockFile::parse(TERRAFORM_LOCK).unwrap();
        let random = &lock.providers[&ProviderAddr::parse("random").unwrap()];
        assert_eq!(random.version, "3.6.0");
        assert_eq!(random.constraints.as_deref(), Some("~> 3.0"));
        assert_eq!(random.hashes, vec!["h1:aaa=", "zh:bbb"]);
        let text = lock.render();
        assert_eq!(
            text,
            "# This file is maintained automatically by \"trellis init\".\n# Manual edits may be lost in future updates.\n\nprovider \"registry.terraform.io/hashicorp/aws\" {\n  version = \"5.80.0\"\n  hashes = [\n    \"h1:ccc=\",\n  ]\n}\n\nprovider \"registry.terraform.io/hashicorp/random\" {\n  version     = \"3.6.0\"\n  constraints = \"~> 3.0\"\n  hashes = [\n    \"h1:aaa=\",\n    \"zh:bbb\",\n  ]\n}\n"
        );
        assert_eq!(LockFile::parse(&text).unwrap(), lock, "round trip");
        assert!(LockFile::parse("provider \"x\" {\n  hashes = []\n}\n")
            .unwrap_err()
            .contains("missing `version`"));
        assert!(LockFile::parse("provider \"a/b/c/d\" {\n  version = \"1\"\n}\n").is_err());
    }

    fn install_fake(work: &Path, addr: &ProviderAddr, version: &str) -> PathBuf {
        let dir = addr.package_dir(&work.join(PROVIDERS_DIR), version, &platform());
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join(format!("terraform-provider-{}_v{version}", addr.r#type));
        std::fs::write(&exe, "binary").unwrap();
        std::fs::write(dir.join("LICENSE"), "text").unwrap();
        exe
    }

    #[test]
    fn installed_checks_each_package_against_the_lock() {
        let work = tempfile::tempdir().unwrap();
        assert_eq!(installed(work.path()).unwrap(), vec![], "no lock file");
        let addr = ProviderAddr::parse("hashicorp/random").unwrap();
        let exe = install_fake(work.path(), &addr, "3.6.0");
        let dir = exe.parent().unwrap().to_path_buf();
        let mut lock = LockFile::default();
        lock.providers.insert(
            addr.clone(),
            Locked {
                version: "3.6.0".into(),
                constraints: None,
                hashes: vec![hash_dir(&dir).unwrap(), "zh:00".into()],
            },
        );
        // aws locked without a package: served natively, left out.
        lock.providers.insert(
            ProviderAddr::parse("hashicorp/aws").unwrap(),
            Locked {
                version: "5.80.0".into(),
                constraints: None,
                hashes: vec!["h1:x".into()],
            },
        );
        lock.write(work.path()).unwrap();
        let found = installed(work.path()).unwrap();
        assert_eq!(
            found,
            vec![InstalledProvider {
                source: addr.clone(),
                version: "3.6.0".into(),
                executable: exe.clone(),
            }]
        );

        // A tampered binary is refused, naming the provider and the file.
        std::fs::write(&exe, "tampered").unwrap();
        let err = installed(work.path()).unwrap_err().to_string();
        assert!(
            err.contains("registry.terraform.io/hashicorp/random 3.6.0")
                && err.contains(&exe.display().to_string())
                && err.contains("trellis init"),
            "{err}"
        );

        // Locked but not installed.
        std::fs::remove_dir_all(&dir).unwrap();
        let err = installed(work.path()).unwrap_err().to_string();
        assert!(
            err.contains("is not installed") && err.contains("trellis init"),
            "{err}"
        );

        // A damaged lock file names itself.
        std::fs::write(work.path().join(LOCK_FILE), "provider {").unwrap();
        let err = installed(work.path()).unwrap_err().to_string();
        assert!(err.starts_with(".terraform.lock.hcl:"), "{err}");
    }
}
