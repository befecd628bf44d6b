//! The shared layer under the service modules: value conversion ([`convert`]), SDK errors
//! ([`error`]), waiters ([`wait`]), the clients of one provider block ([`clients`]), schema
//! helpers ([`schema`]), what every service does to values ([`values`]), and the shape of a
//! served type ([`resource`]).
//!
//! **Architecture invariant:** nothing here imports a service module (`lattice`, `ram`,
//! `route53`, `ec2`) or the registry; services import this, never each other.

pub mod clients;
pub mod convert;
pub mod error;
pub mod once;
pub mod resource;
pub mod schema;
pub mod values;
pub mod wait;
