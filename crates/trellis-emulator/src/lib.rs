//! A test harness for trellis' local AWS emulator.
//!
//! [`Emulator::start`] runs `tools/aws-emulator` (moto's server, pinned, with
//! VPC Lattice and RAM completed, injected faults and call counts) as a child
//! process on a free loopback port, waits until it answers, and kills it when
//! the [`Emulator`] is dropped, also when a test panics. Each emulator is its
//! own process with its own state, so tests run in parallel without sharing
//! resources by accident.
//!
//! The Python side is found in this order: `TRELLIS_EMULATOR_PYTHON` (an
//! interpreter that already has the requirements), otherwise
//! `tools/aws-emulator/install.sh` creates or reuses a virtualenv (see
//! `TRELLIS_VENV`). Nothing is fetched when the virtualenv is current.
//!
//! What it is not: it does not talk to AWS, it holds no trellis logic, and it
//! is not a general AWS client. Its admin calls (faults, counts, reset) and
//! the two raw EC2/STS calls it makes go over a hand-written HTTP/1.1 request
//! on a [`std::net::TcpStream`], because the emulator ignores signatures: the
//! access key alone tells it which account is calling. See `docs/testing.md`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The account that static, non-assumed credentials belong to (moto's default).
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// The access key the harness uses for calls made as [`DEFAULT_ACCOUNT`].
const DEFAULT_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Errors of the harness. Messages are short and lowercase.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot install the aws emulator: {0}")]
    Install(String),
    #[error("cannot start the aws emulator: {0}")]
    Start(String),
    #[error("emulator request {what} failed: {detail}")]
    Request { what: String, detail: String },
    #[error("io error talking to the emulator: {0}")]
    Io(#[from] std::io::Error),
}

/// A test process (the `trellis` binary, a bench run) pointed at the emulator, acting as its
/// default account in `us-east-1`: test credentials, `AWS_ENDPOINT_URL`, no shared config or
/// credentials file and no `AWS_PROFILE`, so nothing on the machine leaks into a test.
pub trait EmulatorEnv {
    fn emulator_env(&mut self, endpoint_url: &str) -> &mut Self;
}

impl EmulatorEnv for Command {
    fn emulator_env(&mut self, endpoint_url: &str) -> &mut Command {
        self.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint_url)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("AWS_PROFILE")
    }
}

/// How an emulator starts; `Default` is fast: no delay, no faults.
#[derive(Debug, Clone, Default)]
pub struct EmulatorOptions {
    /// How long asynchronous statuses (CREATE_IN_PROGRESS, DELETE_IN_PROGRESS,
    /// INITIAL, DRAINING, ...) last. Zero makes every transition immediate.
    pub async_delay: Duration,
    /// Latency added to every call.
    pub latency: Duration,
}

/// Credentials of one account, as STS AssumeRole on the emulator returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// Calls the emulator received, by service (SigV4 signing name) and operation.
pub type CallCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// A running emulator process, killed on drop.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    host: String,
    port: u16,
    endpoint: String,
}

impl Emulator {
    /// Starts an emulator with [`EmulatorOptions::default`].
    pub fn start() -> Result<Emulator, Error> {
        Self::start_with(&EmulatorOptions::default())
    }

    /// Starts an emulator on a free loopback port and waits until it answers.
    pub fn start_with(options: &EmulatorOptions) -> Result<Emulator, Error> {
        let python = python()?;
        let mut child = Command::new(&python)
            .args([
                "-m",
                "trellis_emulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ])
            .arg("--async-delay-ms")
            .arg(options.async_delay.as_millis().to_string())
            .arg("--latency-ms")
            .arg(options.latency.as_millis().to_string())
            .env("PYTHONPATH", emulator_dir())
            .env_remove("MOTO_ACCOUNT_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Start(format!("{}: {e}", python.display())))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let result = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = tx.send(result);
        });
        // From here on, `emulator` owns the child: an early return kills it.
        let mut emulator = Emulator {
            child,
            host: String::new(),
            port: 0,
            endpoint: String::new(),
        };
        let line = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(Error::Start(e.to_string())),
            Err(_) => return Err(Error::Start("no listening line before the timeout".into())),
        };
        let url = line
            .trim()
            .strip_prefix("TRELLIS_EMULATOR_LISTENING ")
            .ok_or_else(|| Error::Start(format!("unexpected first line {line:?}")))?
            .to_owned();
        let authority = url.trim_start_matches("http://");
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| Error::Start(format!("bad url {url}")))?;
        emulator.host = host.to_owned();
        emulator.port = port
            .parse()
            .map_err(|_| Error::Start(format!("bad port in {url}")))?;
        emulator.endpoint = url;
        emulator.wait_until_ready()?;
        Ok(emulator)
    }

    fn wait_until_ready(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::Start(format!("emulator exited with {status}")));
            }
            if self.admin("GET", "/_trellis/health", None).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Start(
                    "emulator did not answer before the timeout".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL to give SDK clients as their endpoint (`AWS_ENDPOINT_URL`).
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// Credentials that the emulator attributes to `account_id` (twelve digits),
    /// obtained with STS AssumeRole of `arn:aws:iam::<account_id>:role/trellis-test`.
    pub fn account_credentials(&self, account_id: &str) -> Result<AccountCredentials, Error> {
        let role = format!("arn:aws:iam::{account_id}:role/trellis-test");
        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleSessionName=trellis-test&RoleArn={}",
            percent_encode(&role)
        );
        let xml = self.query_api("sts", "us-east-1", DEFAULT_ACCESS_KEY, &body)?;
        let field = |tag: &str| {
            xml_text(&xml, tag).ok_or_else(|| Error::Request {
                what: "sts AssumeRole".into(),
                detail: format!("no {tag} in {xml}"),
            })
        };
        Ok(AccountCredentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretAccessKey")?,
            session_token: field("SessionToken")?,
        })
    }

    /// SDK configuration that acts as `account_id` in `region` against this emulator.
    pub async fn sdk_config(&self, account_id: &str, region: &str) -> Result<SdkConfig, Error> {
        let creds = self.account_credentials(account_id)?;
        Ok(self.sdk_config_with(&creds, region).await)
    }

    /// SDK configuration for given credentials (for example from [`Self::account_credentials`]).
    pub async fn sdk_config_with(&self, creds: &AccountCredentials, region: &str) -> SdkConfig {
        let provider = Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            Some(creds.session_token.clone()),
            None,
            "trellis-emulator",
        );
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint.clone())
            .credentials_provider(provider)
            .load()
            .await
    }

    /// Creates a VPC through the emulator's EC2 query API, as `account_id`; returns its ID.
    pub fn create_vpc(
        &self,
        account_id: &str,
        region: &str,
        cidr_block: &str,
    ) -> Result<String, Error> {
        let creds = self.account_credentials(account_id)?;
        let body = format!(
            "Action=CreateVpc&Version=2016-11-15&CidrBlock={}",
            percent_encode(cidr_block)
        );
        let xml = self.query_api("ec2", region, &creds.access_key_id, &body)?;
        xml_text(&xml, "vpcId").ok_or_else(|| Error::Request {
            what: "ec2 CreateVpc".into(),
            detail: xml,
        })
    }

    /// Creates a security group in `vpc_id` through the EC2 query API, as `account_id`;
    /// returns its ID.
    pub fn create_security_group(
        &self,
        account_id: &str,
        region: &str,
        vpc_id: &str,
        name: &str,
    ) -> Result<String, Error> {
        let creds = self.account_credentials(account_id)?;
        let body = format!(
            "Action=CreateSecurityGroup&Version=2016-11-15&GroupName={}&GroupDescription={}&VpcId={}",
            percent_encode(name),
            percent_encode(name),
            percent_encode(vpc_id)
        );
        let xml = self.query_api("ec2", region, &creds.access_key_id, &body)?;
        xml_text(&xml, "groupId").ok_or_else(|| Error::Request {
            what: "ec2 CreateSecurityGroup".into(),
            detail: xml,
        })
    }

    /// Replaces the fault configuration (`POST /_trellis/faults`), for example
    /// `json!({"per_operation": {"vpc-lattice:CreateService": {"throttle_next": 2}}})`.
    pub fn set_faults(&self, faults: &serde_json::Value) -> Result<(), Error> {
        self.admin("POST", "/_trellis/faults", Some(faults))
            .map(drop)
    }

    /// Faults injected since the fault configuration was last set, by kind: `throttle`,
    /// `error`, `fail_after_success` (`GET /_trellis/faults/injected`).
    pub fn injected_faults(&self) -> Result<BTreeMap<String, u64>, Error> {
        let value = self.admin("GET", "/_trellis/faults/injected", None)?;
        serde_json::from_value(value).map_err(|e| Error::Request {
            what: "injected faults".into(),
            detail: e.to_string(),
        })
    }

    /// Calls received so far, faulted ones included (`GET /_trellis/calls`).
    pub fn calls(&self) -> Result<CallCounts, Error> {
        let value = self.admin("GET", "/_trellis/calls", None)?;
        serde_json::from_value(value).map_err(|e| Error::Request {
            what: "calls".into(),
            detail: e.to_string(),
        })
    }

    /// How many times `service` (signing name, e.g. `vpc-lattice`) saw `operation`.
    pub fn call_count(&self, service: &str, operation: &str) -> Result<u64, Error> {
        Ok(self
            .calls()?
            .get(service)
            .and_then(|ops| ops.get(operation))
            .copied()
            .unwrap_or(0))
    }

    /// Request body bytes received so far per service and operation
    /// (`GET /_trellis/calls/bytes`), in the same shape as [`Emulator::calls`].
    pub fn call_bytes(&self) -> Result<CallCounts, Error> {
        let value = self.admin("GET", "/_trellis/calls/bytes", None)?;
        serde_json::from_value(value).map_err(|e| Error::Request {
            what: "call bytes".into(),
            detail: e.to_string(),
        })
    }

    /// Sets every count back to zero (`POST /_trellis/calls/reset`).
    pub fn reset_calls(&self) -> Result<(), Error> {
        self.admin("POST", "/_trellis/calls/reset", None).map(drop)
    }

    /// Changes how long asynchronous statuses last from now on.
    pub fn set_async_delay(&self, delay: Duration) -> Result<(), Error> {
        let body = serde_json::json!({ "async_delay_ms": delay.as_millis() as u64 });
        self.admin("POST", "/_trellis/settings", Some(&body))
            .map(drop)
    }

    /// Forgets every resource of every service, the counts and the faults.
    pub fn reset(&self) -> Result<(), Error> {
        self.admin("POST", "/_trellis/reset", None).map(drop)
    }

    fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let (status, text) = self.http(
            method,
            path,
            &[("Content-Type", "application/json")],
            payload.as_bytes(),
        )?;
        if status != 200 {
            return Err(Error::Request {
                what: format!("{method} {path}"),
                detail: format!("http {status}: {text}"),
            });
        }
        serde_json::from_str(&text).map_err(|e| Error::Request {
            what: path.into(),
            detail: e.to_string(),
        })
    }

    /// A query-protocol call (EC2, STS). The emulator reads the account from
    /// the access key in the credential scope and does not check signatures.
    fn query_api(
        &self,
        service: &str,
        region: &str,
        access_key: &str,
        body: &str,
    ) -> Result<String, Error> {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/20240101/{region}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", auth.as_str()),
        ];
        let (status, text) = self.http("POST", "/", &headers, body.as_bytes())?;
        if status != 200 {
            return Err(Error::Request {
                what: format!("{service} {body}"),
                detail: format!("http {status}: {text}"),
            });
        }
        Ok(text)
    }

    fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, String), Error> {
        let mut stream = TcpStream::connect((self.host.as_str(), self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host,
            self.port,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes())?;
        stream.write_all(body)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response);
        let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::Request {
                what: path.into(),
                detail: format!("bad response {head:?}"),
            })?;
        Ok((status, payload.to_owned()))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tools/aws-emulator` of this repository.
///
/// Found from the crate being run by cargo (`CARGO_MANIFEST_DIR` at run time, so a build
/// cached in a target directory shared between checkouts still finds the checkout it runs
/// in), falling back to this crate's own checkout. `TRELLIS_EMULATOR_DIR` overrides both.
fn emulator_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRELLIS_EMULATOR_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(crate_dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        let dir = Path::new(&crate_dir).join("../../tools/aws-emulator");
        if dir.join("trellis_emulator").is_dir() {
            return dir;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/aws-emulator")
}

/// The interpreter that runs the emulator, installing the virtualenv once per process.
fn python() -> Result<PathBuf, Error> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            if let Some(python) = std::env::var_os("TRELLIS_EMULATOR_PYTHON") {
                return Ok(PathBuf::from(python));
            }
            let script = emulator_dir().join("install.sh");
            let output = Command::new("bash")
                .arg(&script)
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("{}: {e}", script.display()))?;
            if !output.status.success() {
                return Err(format!(
                    "{} exited with {}",
                    script.display(),
                    output.status
                ));
            }
            let stdout = String::from_utf8_lossy(&output.stdout);
            let venv = stdout.lines().last().unwrap_or_default().trim();
            Ok(Path::new(venv).join("bin/python"))
        })
        .clone()
        .map_err(Error::Install)
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<tag>` element of an XML answer.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encodes_arns() {
        assert_eq!(
            percent_encode("arn:aws:iam::1:role/x"),
            "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
        );
    }

    #[test]
    fn reads_xml_text() {
        assert_eq!(
            xml_text("<a><vpcId>vpc-1</vpcId></a>", "vpcId").as_deref(),
            Some("vpc-1")
        );
        assert_eq!(xml_text("<a></a>", "vpcId"), None);
    }
}
