//! trellis-test-provider: a Terraform provider plugin with resource types of its own, for
//! testing trellis's plugin client end to end. It serves protocol 5 or 6 (`--protocol 5|6`,
//! default 6) over go-plugin's handshake with AutoMTLS, as real providers do.
//!
//! Its types (prefix `tptest`) exercise what real providers do: `tptest_thing` (computed
//! attributes, a force-new `name`, a nested `rule` block, a sensitive `secret`, private data,
//! a schema upgrade from version 0, import, diagnostics with attribute paths; with protocol 6
//! also a nested attribute `endpoint`), `tptest_slow` (an apply that waits until the provider
//! is stopped) and the data source `tptest_echo`.
//!
//! Its objects live in memory, and in the JSON file `TPTEST_STATE_FILE` names when set, so
//! that a test can look at them. `--misbehave hang|exit|garbage|version|crash-on-apply|
//! ignore-shutdown`
//! makes it fail in the ways a client must survive.
//!
//! It is a test fixture, not a provider anyone should configure.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod provider;
mod v5;

use std::io::Write;
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio_stream::wrappers::ReceiverStream;
use trellis_plugin::handshake::{self, Announcement, Network};
use trellis_plugin::proto::controller::grpc_controller_server::{
    GrpcController, GrpcControllerServer,
};
use trellis_plugin::proto::controller::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use trellis_plugin::proto::controller::{Empty, StdioData};
use trellis_plugin::proto::tfplugin5::provider_server::ProviderServer as ServerV5;
use trellis_plugin::proto::tfplugin6::provider_server::ProviderServer as ServerV6;
use trellis_plugin::tls;

use crate::provider::TestProvider;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    None,
    /// Never prints the handshake.
    Hang,
    /// Exits at once with an error on stderr.
    Exit,
    /// Prints something that is not a handshake line.
    Garbage,
    /// Offers protocol version 4.
    Version,
    /// Dies in the middle of ApplyResourceChange.
    CrashOnApply,
    /// Answers go-plugin's Shutdown and keeps running.
    IgnoreShutdown,
}

struct Args {
    protocol: u32,
    misbehave: Misbehave,
    /// Extra copies of `tptest_thing` (`tptest_bulk_N`), to make a schema as large as a
    /// big provider's.
    bulk_types: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        protocol: 6,
        misbehave: Misbehave::None,
        bulk_types: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--protocol" => {
                args.protocol = match it.next().as_deref() {
                    Some("5") => 5,
                    Some("6") => 6,
                    other => return Err(format!("--protocol takes 5 or 6, not {other:?}")),
                }
            }
            "--misbehave" => {
                args.misbehave = match it.next().as_deref() {
                    Some("hang") => Misbehave::Hang,
                    Some("exit") => Misbehave::Exit,
                    Some("garbage") => Misbehave::Garbage,
                    Some("version") => Misbehave::Version,
                    Some("crash-on-apply") => Misbehave::CrashOnApply,
                    Some("ignore-shutdown") => Misbehave::IgnoreShutdown,
                    other => return Err(format!("unknown --misbehave {other:?}")),
                }
            }
            "--bulk-types" => {
                args.bulk_types = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--bulk-types takes a count")?
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// go-plugin's controller: Shutdown ends the server.
struct Controller {
    shutdown: tokio::sync::mpsc::Sender<()>,
    ignore: bool,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Empty>, tonic::Status> {
        if self.ignore {
            eprintln!("[WARN] ignoring shutdown");
        } else {
            let _ = self.shutdown.try_send(());
        }
        Ok(tonic::Response::new(Empty {}))
    }
}

/// go-plugin's stdio stream: this plugin sends one line, as a Go plugin forwards what it
/// prints after go-plugin redirected its stdout.
struct Stdio;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream =
        tokio_stream::Iter<std::vec::IntoIter<Result<StdioData, tonic::Status>>>;

    async fn stream_stdio(
        &self,
        _request: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Self::StreamStdioStream>, tonic::Status> {
        let line = StdioData {
            channel: trellis_plugin::proto::controller::stdio_data::Channel::Stdout as i32,
            data: b"hello from the plugin's stdout\n".to_vec(),
        };
        Ok(tonic::Response::new(tokio_stream::iter(vec![Ok(line)])))
    }
}

/// A TLS connection as tonic's server takes it.
struct Conn(tokio_rustls::server::TlsStream<tokio::net::UnixStream>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl tokio::io::AsyncRead for Conn {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Conn {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn fail(message: &str) -> ! {
    eprintln!("trellis-test-provider: {message}");
    std::process::exit(1)
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|e| fail(&e));
    if std::env::var(handshake::MAGIC_COOKIE_KEY).as_deref() != Ok(handshake::MAGIC_COOKIE_VALUE) {
        fail("this binary is a plugin: it is run by trellis or terraform, not directly");
    }
    match args.misbehave {
        Misbehave::Hang => loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        },
        Misbehave::Exit => {
            eprintln!("boom: the test provider refuses to start");
            std::process::exit(3);
        }
        Misbehave::Garbage => {
            println!("hello, I am not a plugin");
            let _ = std::io::stdout().flush();
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
        _ => {}
    }
    // go-plugin picks the highest version both sides speak; this binary speaks one.
    let offered = std::env::var(handshake::PROTOCOL_VERSIONS_KEY).unwrap_or_default();
    if args.misbehave != Misbehave::Version
        && !offered
            .split(',')
            .any(|v| v.trim() == args.protocol.to_string())
    {
        fail(&format!(
            "the client offers protocol versions {offered:?}, this plugin speaks {}",
            args.protocol
        ));
    }
    let client_pem = std::env::var(handshake::CLIENT_CERT_KEY)
        .unwrap_or_else(|_| fail("PLUGIN_CLIENT_CERT is not set (AutoMTLS is required)"));
    let client_cert = tls::parse_pem(&client_pem).unwrap_or_else(|e| fail(&e.to_string()));
    let own = tls::generate(tls::Curve::P521).unwrap_or_else(|e| fail(&e.to_string()));
    let server_config =
        tls::server_config(&own, client_cert).unwrap_or_else(|e| fail(&e.to_string()));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));

    let dir = std::env::temp_dir().join(format!("tptest-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let socket = dir.join("plugin.sock");
    let _ = std::fs::remove_file(&socket);
    let listener =
        UnixListener::bind(&socket).unwrap_or_else(|e| fail(&format!("cannot listen: {e}")));

    let (conn_tx, conn_rx) = tokio::sync::mpsc::channel::<Result<Conn, std::io::Error>>(16);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            let acceptor = acceptor.clone();
            let conn_tx = conn_tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls_stream) => {
                        let _ = conn_tx.send(Ok(Conn(tls_stream))).await;
                    }
                    Err(e) => eprintln!("[ERROR] tls handshake failed: {e}"),
                }
            });
        }
    });

    // Like go-plugin servers, ignore Ctrl-C: the host stops the plugin.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("[DEBUG] ignoring interrupt; the host stops this plugin");
        }
    });

    let announced_version = if args.misbehave == Misbehave::Version {
        4
    } else {
        args.protocol
    };
    let line = handshake::format(&Announcement {
        protocol_version: announced_version,
        network: Network::Unix(socket.display().to_string()),
        server_cert: Some(own.der.to_vec()),
    });
    println!("{line}");
    let _ = std::io::stdout().flush();
    eprintln!(
        "[INFO] trellis-test-provider serving protocol {} on {}",
        args.protocol,
        socket.display()
    );

    let provider = TestProvider::new(
        args.protocol,
        args.misbehave == Misbehave::CrashOnApply,
        args.bulk_types,
    );
    let stopper = provider.stopper();
    let (shutdown_tx, mut shutdown_rx) = tokio::sync::mpsc::channel(1);
    let controller = GrpcControllerServer::new(Controller {
        shutdown: shutdown_tx,
        ignore: args.misbehave == Misbehave::IgnoreShutdown,
    });
    let router = tonic::transport::Server::builder()
        .add_service(controller)
        .add_service(GrpcStdioServer::new(Stdio));
    let router = match args.protocol {
        5 => router.add_service(
            ServerV5::new(v5::V5(provider))
                .max_decoding_message_size(trellis_plugin::plugin::MAX_MESSAGE)
                .max_encoding_message_size(trellis_plugin::plugin::MAX_MESSAGE),
        ),
        _ => router.add_service(
            ServerV6::new(provider)
                .max_decoding_message_size(trellis_plugin::plugin::MAX_MESSAGE)
                .max_encoding_message_size(trellis_plugin::plugin::MAX_MESSAGE),
        ),
    };
    let served = router
        .serve_with_incoming_shutdown(ReceiverStream::new(conn_rx), async move {
            shutdown_rx.recv().await;
            // Operations in flight end before the server stops, as go-plugin's GracefulStop
            // waits for them.
            stopper.send_replace(true);
            eprintln!("[INFO] shutting down");
        })
        .await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = served {
        fail(&format!("serving failed: {e}"));
    }
}
