//! Installs the remote modules a configuration calls, for `trellis init`.
//!
//! - [`source`]: Terraform's module source addresses (local, registry, git, archives; S3,
//!   GCS and Mercurial refused with a message);
//! - [`constraint`]: version constraints (`~> 1.2`, `>= 1.0, < 2.0`) and versions;
//! - [`registry`]: the module registry protocol (service discovery, versions, download
//!   location), with credentials and `host` overrides from [`cliconfig`];
//! - [`fetch`]: git through the `git` program, zip and tar.gz archives over HTTP(S);
//! - [`providers`]: provider source addresses, `.terraform.lock.hcl`, the `h1:`/`zh:`
//!   package hashes, and [`providers::installed`], which finds each installed provider's
//!   executable and checks it against the lock file (no network);
//! - [`install`]: the cache `.trellis/modules/` with its manifest `modules.json`, and the
//!   [`install::Installer`] that stages a new cache and swaps it in only on success.
//!
//! What this crate is not: it does not parse configuration (the CLI walks the module tree
//! with `trellis_config::load_modules_with` and calls [`install::Installer::install`] for
//! each remote call), and later commands never reach it for the network: they read the
//! cache through [`install::Manifest::resolve`], which does no I/O beyond the manifest.
//! It never prints.

pub mod cliconfig;
pub mod constraint;
pub mod fetch;
pub mod http;
pub mod install;
pub mod providers;
pub mod registry;
pub mod source;

pub use install::{Call, Installed, Installer, Manifest, NotInstalled, CACHE_DIR};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// One module call could not be installed.
    #[error("cannot install module \"{key}\" ({source_address}): {why}")]
    Module {
        key: String,
        source_address: String,
        why: String,
    },
    /// The cache directory or its manifest.
    #[error("module cache: {what}")]
    Cache { what: String },
}
