//! A small blocking HTTP(S) client for the registry and archive downloads: hyper with
//! rustls, trusting the platform's roots (or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, as
//! OpenSSL does), following redirects, with a size cap and a timeout per request.
//!
//! Each request runs on a scoped thread of its own, with a single-threaded tokio runtime
//! that is created and dropped there: it can be called from synchronous code that itself
//! runs inside another runtime (the CLI's), where a runtime may be neither blocked on nor
//! dropped. Connections are not pooled across requests; a module installation makes a few.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

/// Downloads larger than this are refused (a module archive is a few megabytes).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

const MAX_REDIRECTS: usize = 10;
const TIMEOUT: Duration = Duration::from_secs(300);

pub struct Http {
    tls: rustls::ClientConfig,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// A response, after redirects: the URL it finally came from.
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Http {
    pub fn new() -> Result<Http, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // A malformed system certificate is skipped, as every TLS client does.
            let _ = roots.add(cert);
        }
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Http { tls })
    }

    fn client(&self) -> HttpsClient {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.tls.clone())
            .https_or_http()
            .enable_http1()
            .build();
        Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector)
    }

    /// GETs `url`, following redirects. `token` is sent as a bearer token, to `url`'s host
    /// only (never to a host a redirect leads to).
    pub fn get(&self, url: &Url, token: Option<&str>) -> Result<Response, String> {
        std::thread::scope(|s| {
            s.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
                runtime.block_on(async {
                    let client = self.client();
                    Self::get_async(&client, url, token).await
                })
            })
            .join()
            .unwrap_or_else(|_| Err("the HTTP client failed".to_string()))
        })
    }

    async fn get_async(
        client: &HttpsClient,
        url: &Url,
        token: Option<&str>,
    ) -> Result<Response, String> {
        let origin = url.host_str().map(str::to_string);
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            if !matches!(current.scheme(), "http" | "https") {
                return Err(format!("unsupported URL scheme in {current}"));
            }
            let mut request = http::Request::get(current.as_str())
                .header("user-agent", concat!("trellis/", env!("CARGO_PKG_VERSION")));
            if let (Some(token), true) = (token, current.host_str().map(str::to_string) == origin) {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let request = request
                .body(Empty::<Bytes>::new())
                .map_err(|e| format!("invalid request for {current}: {e}"))?;
            let response = tokio::time::timeout(TIMEOUT, client.request(request))
                .await
                .map_err(|_| format!("{current}: no answer within {} seconds", TIMEOUT.as_secs()))?
                .map_err(|e| format!("{current}: {}", error_chain(&e)))?;
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("{current}: redirect without a location"))?;
                current = current
                    .join(location)
                    .map_err(|e| format!("{current}: bad redirect {location:?}: {e}"))?;
                continue;
            }
            let headers = response.headers().clone();
            let body = tokio::time::timeout(
                TIMEOUT,
                Limited::new(response.into_body(), MAX_BODY).collect(),
            )
            .await
            .map_err(|_| {
                format!(
                    "{current}: download took longer than {} seconds",
                    TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("{current}: {e}"))?
            .to_bytes()
            .to_vec();
            return Ok(Response {
                status,
                headers,
                body,
                url: current,
            });
        }
        Err(format!("{url}: more than {MAX_REDIRECTS} redirects"))
    }
}

/// An error and its causes, which is where hyper keeps "connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
