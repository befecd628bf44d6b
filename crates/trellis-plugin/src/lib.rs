//! The Terraform provider plugin protocol (versions 5 and 6), client side, and a bridge that
//! makes a plugin a trellis provider.
//!
//! - [`proto`]: the protocol's messages and services, generated at build time from the
//!   `.proto` files in `proto/` (written from the public tfplugin5.9 / tfplugin6.9 and
//!   go-plugin definitions).
//! - [`cty`] and [`msgpack`]: cty types and the msgpack encoding of `DynamicValue`s, to and
//!   from trellis [`trellis_types::Value`]s.
//! - [`handshake`], [`tls`], [`plugin`]: launching a plugin binary with go-plugin's handshake
//!   and AutoMTLS, the gRPC connection, and stopping it.
//! - [`schema`] and [`bridge`]: the plugin's schema as trellis schemas, and
//!   [`bridge::PluginFactory`], a [`trellis_provider::ProviderFactory`] backed by a plugin
//!   (one process per configured provider, shared by all its resources).
//!
//! It does not install providers (no registry, mirror or lock file), does not decide which
//! resource types are bridged, and does not print. The server half of [`tls`] and
//! [`handshake::format`] exist for trellis-test-provider.

pub mod bridge;
pub mod cty;
pub mod handshake;
pub mod msgpack;
pub mod plugin;
pub mod schema;
pub mod tls;

pub use bridge::{PluginFactory, PluginProvider};
pub use plugin::{Plugin, PluginError, PluginSpec};

/// The generated protocol code.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin5 {
        tonic::include_proto!("tfplugin5");
    }
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's own services (`plugin.GRPCController`, `plugin.GRPCStdio`).
    pub mod controller {
        tonic::include_proto!("plugin");
    }
}

/// Converts between messages of the two protocol versions that have the same fields under
/// the same numbers, by re-encoding. Fields one side lacks are dropped, as protobuf does.
pub fn transcode<A: prost::Message, B: prost::Message + Default>(message: A) -> B {
    B::decode(message.encode_to_vec().as_slice()).unwrap_or_default()
}
