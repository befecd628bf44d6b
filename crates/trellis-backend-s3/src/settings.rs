//! The S3 backend's settings, from the `backend "s3"` block and `-backend-config`.

use std::collections::BTreeMap;
use std::time::Duration;

/// `assume_role { ... }` (or the older top-level `role_arn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// Where the state lives and how to reach it. Built by [`S3Settings::from_map`] from the
/// dotted argument names of `trellis_config::BACKEND_ARGUMENTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// The state object; the lock is `KEY.tflock`, the journal `KEY.journal/`.
    pub key: String,
    pub region: Option<String>,
    /// Lock with a lock object (default true: trellis never runs a writing command on
    /// shared state unlocked unless told to with `use_lockfile = false`).
    pub use_lockfile: bool,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    /// `endpoints.s3` (or the older `endpoint`); otherwise `AWS_ENDPOINT_URL_S3` /
    /// `AWS_ENDPOINT_URL` as the SDK reads them.
    pub endpoint_s3: Option<String>,
    pub endpoint_sts: Option<String>,
    /// Path-style addressing. Defaults to true when an endpoint override is in effect (an
    /// S3-compatible store or an emulator), false otherwise.
    pub use_path_style: Option<bool>,
    pub assume_role: Option<AssumeRole>,
    /// Server-side encryption: `encrypt = true` asks for SSE (AES256, or aws:kms with
    /// `kms_key_id`).
    pub encrypt: bool,
    pub kms_key_id: Option<String>,
    /// A canned ACL for every object written.
    pub acl: Option<String>,
    pub max_retries: Option<u32>,
    /// `skip_s3_checksum`: send no flexible checksums (for S3-compatible stores without them).
    pub skip_s3_checksum: bool,
}

impl S3Settings {
    /// Reads settings from dotted argument names (`bucket`, `assume_role.role_arn`, ...)
    /// to text values. Unknown names are an error (trellis-config already refuses them in
    /// files; this catches `-backend-config`).
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<S3Settings, String> {
        for name in map.keys() {
            if !known().contains(&name.as_str()) {
                return Err(format!("unsupported argument `{name}` for the s3 backend"));
            }
        }
        let text = |name: &str| map.get(name).filter(|v| !v.is_empty()).cloned();
        let flag = |name: &str| -> Result<Option<bool>, String> {
            match map.get(name).map(|v| v.as_str()) {
                None => Ok(None),
                Some("true") => Ok(Some(true)),
                Some("false") => Ok(Some(false)),
                Some(other) => Err(format!("`{name}` must be true or false, not {other:?}")),
            }
        };
        let list = |name: &str| -> Vec<String> {
            map.get(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let bucket = text("bucket").ok_or("the s3 backend needs `bucket`")?;
        let key = text("key").ok_or("the s3 backend needs `key`")?;
        if key.starts_with('/') || key.ends_with('/') {
            return Err(format!("`key` must not start or end with a slash: {key:?}"));
        }
        let role_arn = text("assume_role.role_arn").or_else(|| text("role_arn"));
        let assume_role = match role_arn {
            None => None,
            Some(role_arn) => Some(AssumeRole {
                role_arn,
                session_name: text("assume_role.session_name").or_else(|| text("session_name")),
                external_id: text("assume_role.external_id").or_else(|| text("external_id")),
                duration: match text("assume_role.duration") {
                    None => None,
                    Some(d) => Some(parse_duration(&d).ok_or_else(|| {
                        format!("`assume_role.duration` must be a duration such as 1h or 900s, not {d:?}")
                    })?),
                },
            }),
        };
        let max_retries = match text("max_retries") {
            None => None,
            Some(n) => Some(
                n.parse::<u32>()
                    .map_err(|_| format!("`max_retries` must be a whole number, not {n:?}"))?,
            ),
        };
        let encrypt = flag("encrypt")?.unwrap_or(false);
        let kms_key_id = text("kms_key_id");
        if kms_key_id.is_some() && !encrypt {
            return Err("`kms_key_id` needs `encrypt = true`".to_string());
        }
        Ok(S3Settings {
            bucket,
            key,
            region: text("region"),
            use_lockfile: flag("use_lockfile")?.unwrap_or(true),
            profile: text("profile"),
            shared_config_files: list("shared_config_files"),
            shared_credentials_files: list("shared_credentials_files"),
            endpoint_s3: text("endpoints.s3").or_else(|| text("endpoint")),
            endpoint_sts: text("endpoints.sts").or_else(|| text("sts_endpoint")),
            use_path_style: match flag("use_path_style")? {
                Some(v) => Some(v),
                None => flag("force_path_style")?,
            },
            assume_role,
            encrypt,
            kms_key_id,
            acl: text("acl"),
            max_retries,
            skip_s3_checksum: flag("skip_s3_checksum")?.unwrap_or(false),
        })
    }

    /// The lock object: `KEY.tflock`, as Terraform's S3 backend names it.
    pub fn lock_key(&self) -> String {
        format!("{}.tflock", self.key)
    }

    /// The prefix of the journal objects.
    pub fn journal_prefix(&self) -> String {
        format!("{}.journal/", self.key)
    }

    /// `s3://bucket/key`, for messages.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// Every argument name the S3 backend takes: trellis-config's list, which also checks the
/// `backend "s3"` block in files.
fn known() -> &'static [&'static str] {
    trellis_config::BACKEND_ARGUMENTS
        .iter()
        .find(|(kind, _)| *kind == "s3")
        .map(|(_, names)| *names)
        .unwrap_or_default()
}

/// `900s`, `15m`, `1h`, `1h30m`, or plain seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    if !number.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_terraform_arguments() {
        let s = S3Settings::from_map(&map(&[
            ("bucket", "acme"),
            ("key", "mesh/prod.state"),
            ("region", "eu-west-1"),
            ("encrypt", "true"),
            ("kms_key_id", "alias/state"),
            ("endpoints.s3", "http://127.0.0.1:9000"),
            ("assume_role.role_arn", "arn:aws:iam::111111111111:role/ci"),
            ("assume_role.duration", "1h30m"),
        ]))
        .unwrap();
        assert_eq!(s.lock_key(), "mesh/prod.state.tflock");
        assert_eq!(s.journal_prefix(), "mesh/prod.state.journal/");
        assert!(s.use_lockfile && s.encrypt);
        assert_eq!(s.endpoint_s3.as_deref(), Some("http://127.0.0.1:9000"));
        let role = s.assume_role.unwrap();
        assert_eq!(role.duration, Some(Duration::from_secs(5400)));
    }

    #[test]
    fn refuses_bad_settings() {
        let err = |pairs: &[(&str, &str)]| S3Settings::from_map(&map(pairs)).unwrap_err();
        assert_eq!(err(&[("key", "k")]), "the s3 backend needs `bucket`");
        assert!(err(&[("bucket", "b"), ("key", "k"), ("encrypt", "yes")]).contains("true or false"));
        assert!(err(&[("bucket", "b"), ("key", "k"), ("kms_key_id", "x")]).contains("encrypt"));
        assert!(
            err(&[("bucket", "b"), ("key", "k"), ("dynamodb_table", "t")]).contains("unsupported")
        );
        assert!(err(&[("bucket", "b"), ("key", "/k")]).contains("slash"));
    }
}
