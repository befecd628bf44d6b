//! One running plugin process: launched with go-plugin's handshake, reached over gRPC with
//! AutoMTLS, its stderr forwarded to `tracing`, stopped with go-plugin's Shutdown call (then
//! killed when it does not exit in time, also when dropped).
//!
//! Both protocol versions are served through the protocol 6 message types: the messages
//! trellis uses have the same fields under the same numbers in both versions (only method
//! names differ), so a protocol 5 call converts its request and response by re-encoding
//! ([`crate::transcode`]). The schema's attribute message is the one exception and is
//! converted by hand ([`crate::schema::schema_response_from_v5`]).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::handshake::{self, Announcement, Network};
use crate::proto::controller::grpc_controller_client::GrpcControllerClient;
use crate::proto::controller::grpc_stdio_client::GrpcStdioClient;
use crate::proto::tfplugin5 as v5;
use crate::proto::tfplugin6 as v6;
use crate::tls;
use crate::transcode;

/// How to run one plugin binary.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The provider's address for messages (`registry.terraform.io/hashicorp/random`).
    pub provider: String,
    pub path: PathBuf,
    pub args: Vec<String>,
    /// Extra environment for the process.
    pub env: Vec<(String, String)>,
    /// How long the plugin may take to print its handshake and accept the connection.
    pub start_timeout: Duration,
    /// How long a clean shutdown may take before the process is killed.
    pub stop_timeout: Duration,
    /// The protocol major versions offered, in `PLUGIN_PROTOCOL_VERSIONS`.
    pub protocol_versions: Vec<u32>,
}

impl PluginSpec {
    pub fn new(provider: impl Into<String>, path: impl Into<PathBuf>) -> PluginSpec {
        PluginSpec {
            provider: provider.into(),
            path: path.into(),
            args: Vec::new(),
            env: Vec::new(),
            start_timeout: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(5),
            protocol_versions: vec![5, 6],
        }
    }
}

/// A failure to run or talk to a plugin; every message names the provider.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginError {
    #[error("provider {provider} ({path}): {reason}")]
    Start {
        provider: String,
        path: String,
        reason: String,
    },
    #[error("provider {provider}: {method} failed: {reason}")]
    Call {
        provider: String,
        method: &'static str,
        reason: String,
    },
}

/// The client of one protocol version.
#[derive(Clone)]
enum Rpc {
    V5(v5::provider_client::ProviderClient<Channel>),
    V6(v6::provider_client::ProviderClient<Channel>),
}

/// A running plugin process and its gRPC connection.
pub struct Plugin {
    provider: String,
    path: String,
    protocol_version: u32,
    rpc: Rpc,
    controller: GrpcControllerClient<Channel>,
    child: Mutex<Option<Child>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Set when the plugin's stderr has closed (all its output is in `stderr_tail`).
    stderr_done: Arc<std::sync::atomic::AtomicBool>,
    stop_timeout: Duration,
}

/// The largest message either side may send. gRPC's default of 4 MiB is far below the
/// schema of a large provider (hashicorp/aws's is tens of megabytes); Terraform raises it
/// too.
pub const MAX_MESSAGE: usize = 256 << 20;

/// How many of the plugin's last stderr lines an error quotes.
const TAIL_LINES: usize = 8;

impl Plugin {
    /// Starts the plugin and connects to it. Must run inside a tokio runtime, which then
    /// drives the process and the connection.
    pub async fn launch(spec: &PluginSpec) -> Result<Plugin, PluginError> {
        let fail = |reason: String| PluginError::Start {
            provider: spec.provider.clone(),
            path: spec.path.display().to_string(),
            reason,
        };
        let cert = tls::generate(tls::Curve::P256).map_err(|e| fail(e.to_string()))?;
        let versions = spec
            .protocol_versions
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut command = Command::new(&spec.path);
        command
            .args(&spec.args)
            .envs(spec.env.iter().cloned())
            .env(handshake::MAGIC_COOKIE_KEY, handshake::MAGIC_COOKIE_VALUE)
            .env(handshake::PROTOCOL_VERSIONS_KEY, versions)
            .env(handshake::CLIENT_CERT_KEY, &cert.pem)
            .env(handshake::MIN_PORT_KEY, "10000")
            .env(handshake::MAX_PORT_KEY, "25000")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| fail(format!("cannot start it: {e}")))?;

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if let Some(stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            let done = stderr_done.clone();
            let provider = spec.provider.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(target: "trellis_plugin::stderr", provider = %provider, "{line}");
                    let mut tail = tail.lock().expect("stderr tail lock");
                    if tail.len() == TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(spec.start_timeout, lines.next_line()).await;
        let line = match first {
            Err(_) => {
                let _ = child.kill().await;
                return Err(fail(format!(
                    "the plugin did not complete its handshake within {}s",
                    spec.start_timeout.as_secs_f64()
                )));
            }
            Ok(Err(e)) => {
                let _ = child.kill().await;
                return Err(fail(format!("cannot read its handshake: {e}")));
            }
            Ok(Ok(None)) => {
                let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                let status = match status {
                    Ok(Ok(s)) => s.to_string(),
                    _ => "closed its output".to_string(),
                };
                // Let the stderr reader catch the last lines, which say why.
                for _ in 0..100 {
                    if stderr_done.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                return Err(fail(format!(
                    "the plugin exited before its handshake ({status}){}",
                    last_words(&stderr_tail)
                )));
            }
            Ok(Ok(Some(line))) => line,
        };
        let announcement = match handshake::parse(&line, &spec.protocol_versions) {
            Ok(a) => a,
            Err(e) => {
                let _ = child.kill().await;
                return Err(fail(e.to_string()));
            }
        };
        // go-plugin logs anything else the plugin prints on stdout.
        let provider = spec.provider.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "trellis_plugin::stdout", provider = %provider, "{line}");
            }
        });

        let channel =
            match tokio::time::timeout(spec.start_timeout, connect(&announcement, &cert)).await {
                Ok(Ok(channel)) => channel,
                Ok(Err(reason)) => {
                    let _ = child.kill().await;
                    return Err(fail(reason));
                }
                Err(_) => {
                    let _ = child.kill().await;
                    return Err(fail("cannot connect to the plugin in time".to_string()));
                }
            };
        // go-plugin redirects the plugin's own stdout and stderr into this stream, and a
        // plugin blocks on those writes until someone reads them.
        let mut stdio = GrpcStdioClient::new(channel.clone());
        let provider = spec.provider.clone();
        tokio::spawn(async move {
            let Ok(response) = stdio.stream_stdio(crate::proto::controller::Empty {}).await else {
                return;
            };
            let mut stream = response.into_inner();
            while let Ok(Some(chunk)) = stream.message().await {
                let text = String::from_utf8_lossy(&chunk.data);
                for line in text.lines() {
                    tracing::debug!(target: "trellis_plugin::stdio", provider = %provider, "{line}");
                }
            }
        });
        let rpc = match announcement.protocol_version {
            5 => Rpc::V5(
                v5::provider_client::ProviderClient::new(channel.clone())
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            ),
            _ => Rpc::V6(
                v6::provider_client::ProviderClient::new(channel.clone())
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            ),
        };
        tracing::debug!(provider = %spec.provider, version = announcement.protocol_version, "plugin started");
        Ok(Plugin {
            provider: spec.provider.clone(),
            path: spec.path.display().to_string(),
            protocol_version: announcement.protocol_version,
            rpc,
            controller: GrpcControllerClient::new(channel),
            child: Mutex::new(Some(child)),
            stderr_tail,
            stderr_done,
            stop_timeout: spec.stop_timeout,
        })
    }

    /// The protocol major version the plugin chose (5 or 6).
    pub fn protocol_version(&self) -> u32 {
        self.protocol_version
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child
            .lock()
            .expect("child lock")
            .as_ref()
            .and_then(Child::id)
    }

    /// Stops the plugin: go-plugin's Shutdown call, then a kill when it has not exited
    /// within the stop timeout. Later calls do nothing.
    pub async fn shutdown(&self) {
        let child = self.child.lock().expect("child lock").take();
        if let Some(child) = child {
            stop_process(
                self.controller.clone(),
                child,
                self.stop_timeout,
                &self.provider,
            )
            .await;
        }
    }

    async fn call_error(&self, method: &'static str, status: tonic::Status) -> PluginError {
        // A broken connection is usually a plugin that died: wait a little for the process
        // to be seen exiting and for its last stderr lines, which say why.
        let broken = matches!(
            status.code(),
            tonic::Code::Unavailable
                | tonic::Code::Unknown
                | tonic::Code::Cancelled
                | tonic::Code::Internal
        );
        let mut exited = None;
        for _ in 0..250 {
            exited = self
                .child
                .lock()
                .expect("child lock")
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || !broken {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if exited.is_some() {
            for _ in 0..100 {
                if self.stderr_done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let reason = match exited {
            Some(status_code) => format!(
                "the plugin ({}) exited ({status_code}){}",
                self.path,
                last_words(&self.stderr_tail)
            ),
            None => format!("{}: {}", code_name(status.code()), status.message()),
        };
        PluginError::Call {
            provider: self.provider.clone(),
            method,
            reason,
        }
    }
}

async fn stop_process(
    mut controller: GrpcControllerClient<Channel>,
    mut child: Child,
    timeout: Duration,
    provider: &str,
) {
    let asked = tokio::time::timeout(
        timeout,
        controller.shutdown(crate::proto::controller::Empty {}),
    )
    .await;
    if asked.is_err() {
        tracing::debug!(provider = %provider, "plugin did not answer shutdown");
    }
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(_) => tracing::debug!(provider = %provider, "plugin stopped"),
        Err(_) => {
            tracing::debug!(provider = %provider, "plugin did not exit; killing it");
            let _ = child.kill().await;
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let Some(mut child) = self.child.get_mut().ok().and_then(Option::take) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let controller = self.controller.clone();
                let timeout = self.stop_timeout;
                let provider = self.provider.clone();
                handle.spawn(async move {
                    stop_process(controller, child, timeout, &provider).await;
                });
            }
            Err(_) => {
                let _ = child.start_kill();
            }
        }
    }
}

fn last_words(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().expect("stderr tail lock");
    if tail.is_empty() {
        String::new()
    } else {
        format!(
            "; its last output: {}",
            tail.iter().cloned().collect::<Vec<_>>().join(" | ")
        )
    }
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}").to_lowercase()
}

async fn connect(
    announcement: &Announcement,
    cert: &tls::RunCertificate,
) -> Result<Channel, String> {
    let tls_config = match &announcement.server_cert {
        Some(der) => Some(Arc::new(
            tls::client_config(cert, der.clone().into()).map_err(|e| e.to_string())?,
        )),
        None => None,
    };
    let network = announcement.network.clone();
    let connector = tower::service_fn(move |_: Uri| {
        let network = network.clone();
        let tls_config = tls_config.clone();
        async move { open(network, tls_config).await }
    });
    Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
        .map_err(|e| format!("cannot connect to the plugin: {}", error_chain(&e)))
}

/// A byte stream to the plugin, over TLS or not, on a Unix socket or TCP.
type Stream = Box<dyn Io>;
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

async fn open(
    network: Network,
    tls_config: Option<Arc<rustls::ClientConfig>>,
) -> Result<TokioIo<Stream>, std::io::Error> {
    let raw: Stream = match &network {
        #[cfg(unix)]
        Network::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        #[cfg(not(unix))]
        Network::Unix(_) => {
            return Err(std::io::Error::other("unix sockets are not supported here"))
        }
        Network::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr).await?),
    };
    let stream: Stream = match tls_config {
        Some(config) => {
            let connector = tokio_rustls::TlsConnector::from(config);
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("valid name");
            Box::new(connector.connect(name, raw).await?)
        }
        None => raw,
    };
    Ok(TokioIo::new(stream))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Calls one RPC in either protocol version; `$m5` is the protocol 5 message module and
/// method when its name differs.
macro_rules! rpc {
    ($self:ident, $name:literal, $m6:ident, $f6:ident, $m5:ident, $f5:ident, $req:expr) => {{
        let request: v6::$m6::Request = $req;
        let result = match &$self.rpc {
            Rpc::V6(client) => client.clone().$f6(request).await.map(|r| r.into_inner()),
            Rpc::V5(client) => {
                let request: v5::$m5::Request = transcode(request);
                client
                    .clone()
                    .$f5(request)
                    .await
                    .map(|r| transcode(r.into_inner()))
            }
        };
        match result {
            Ok(response) => Ok(response),
            Err(status) => Err($self.call_error($name, status).await),
        }
    }};
}

impl Plugin {
    pub async fn get_schema(&self) -> Result<v6::get_provider_schema::Response, PluginError> {
        let result = match &self.rpc {
            Rpc::V6(client) => client
                .clone()
                .get_provider_schema(v6::get_provider_schema::Request {})
                .await
                .map(|r| r.into_inner()),
            Rpc::V5(client) => client
                .clone()
                .get_schema(v5::get_provider_schema::Request {})
                .await
                .map(|r| crate::schema::schema_response_from_v5(r.into_inner())),
        };
        match result {
            Ok(response) => Ok(response),
            Err(status) => Err(self.call_error("GetProviderSchema", status).await),
        }
    }

    pub async fn get_metadata(&self) -> Result<v6::get_metadata::Response, PluginError> {
        rpc!(
            self,
            "GetMetadata",
            get_metadata,
            get_metadata,
            get_metadata,
            get_metadata,
            v6::get_metadata::Request {}
        )
    }

    pub async fn validate_provider_config(
        &self,
        request: v6::validate_provider_config::Request,
    ) -> Result<v6::validate_provider_config::Response, PluginError> {
        rpc!(
            self,
            "ValidateProviderConfig",
            validate_provider_config,
            validate_provider_config,
            prepare_provider_config,
            prepare_provider_config,
            request
        )
    }

    pub async fn validate_resource_config(
        &self,
        request: v6::validate_resource_config::Request,
    ) -> Result<v6::validate_resource_config::Response, PluginError> {
        rpc!(
            self,
            "ValidateResourceConfig",
            validate_resource_config,
            validate_resource_config,
            validate_resource_type_config,
            validate_resource_type_config,
            request
        )
    }

    pub async fn validate_data_resource_config(
        &self,
        request: v6::validate_data_resource_config::Request,
    ) -> Result<v6::validate_data_resource_config::Response, PluginError> {
        rpc!(
            self,
            "ValidateDataResourceConfig",
            validate_data_resource_config,
            validate_data_resource_config,
            validate_data_source_config,
            validate_data_source_config,
            request
        )
    }

    pub async fn configure(
        &self,
        request: v6::configure_provider::Request,
    ) -> Result<v6::configure_provider::Response, PluginError> {
        rpc!(
            self,
            "ConfigureProvider",
            configure_provider,
            configure_provider,
            configure,
            configure,
            request
        )
    }

    pub async fn upgrade_resource_state(
        &self,
        request: v6::upgrade_resource_state::Request,
    ) -> Result<v6::upgrade_resource_state::Response, PluginError> {
        rpc!(
            self,
            "UpgradeResourceState",
            upgrade_resource_state,
            upgrade_resource_state,
            upgrade_resource_state,
            upgrade_resource_state,
            request
        )
    }

    pub async fn read_resource(
        &self,
        request: v6::read_resource::Request,
    ) -> Result<v6::read_resource::Response, PluginError> {
        rpc!(
            self,
            "ReadResource",
            read_resource,
            read_resource,
            read_resource,
            read_resource,
            request
        )
    }

    pub async fn plan_resource_change(
        &self,
        request: v6::plan_resource_change::Request,
    ) -> Result<v6::plan_resource_change::Response, PluginError> {
        rpc!(
            self,
            "PlanResourceChange",
            plan_resource_change,
            plan_resource_change,
            plan_resource_change,
            plan_resource_change,
            request
        )
    }

    pub async fn apply_resource_change(
        &self,
        request: v6::apply_resource_change::Request,
    ) -> Result<v6::apply_resource_change::Response, PluginError> {
        rpc!(
            self,
            "ApplyResourceChange",
            apply_resource_change,
            apply_resource_change,
            apply_resource_change,
            apply_resource_change,
            request
        )
    }

    pub async fn import_resource_state(
        &self,
        request: v6::import_resource_state::Request,
    ) -> Result<v6::import_resource_state::Response, PluginError> {
        rpc!(
            self,
            "ImportResourceState",
            import_resource_state,
            import_resource_state,
            import_resource_state,
            import_resource_state,
            request
        )
    }

    pub async fn read_data_source(
        &self,
        request: v6::read_data_source::Request,
    ) -> Result<v6::read_data_source::Response, PluginError> {
        rpc!(
            self,
            "ReadDataSource",
            read_data_source,
            read_data_source,
            read_data_source,
            read_data_source,
            request
        )
    }

    pub async fn stop_provider(&self) -> Result<v6::stop_provider::Response, PluginError> {
        rpc!(
            self,
            "StopProvider",
            stop_provider,
            stop_provider,
            stop,
            stop,
            v6::stop_provider::Request {}
        )
    }
}
