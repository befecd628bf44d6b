//! The shared layer under the service modules: value conversion ([`convert`]), SDK errors
//! ([`error`]), waiters ([`wait`]), the clients of one provider block ([`clients`]), schema
//! helpers ([`schema`]), what every service does to values ([`values`]), and the shape of a
//! served type ([`resource`]).
//!
//! **Architecture invariant:** nothing here imports a service module (`lattice`, `ram`,
//! `route53`, `ec2`) or the registry; services import this, never each other.

/// Implements [`NamedService`] for `$api` with the functions of the module it is invoked in
/// (`schema`, `validate`, `read`, `create`, `update`, `delete`, `settle`, `import`,
/// `read_data`), and the given plan rules and discovery defaults.
///
/// RAM, Route53 and EC2 no longer use it (one file per type, [`resource::AwsType`]); it stays
/// for the services written in the older shape on other branches until they are split too.
#[allow(unused_macros)]
macro_rules! named_service {
    ($api:ident, $service:ident, plan: $plan:expr, defaults: $defaults:expr) => {
        /// The table's way into this module (`crate::registry::TYPES`).
        pub(crate) struct $api;

        #[async_trait::async_trait]
        impl $crate::sdk::resource::NamedService for $api {
            const SERVICE: $crate::sdk::resource::Service =
                $crate::sdk::resource::Service::$service;

            fn schemas() -> &'static $crate::sdk::resource::Schemas {
                static SCHEMAS: std::sync::OnceLock<$crate::sdk::resource::Schemas> =
                    std::sync::OnceLock::new();
                SCHEMAS.get_or_init(|| {
                    let mut s = $crate::sdk::resource::Schemas::default();
                    schema(&mut s.resources, &mut s.data_sources);
                    s
                })
            }

            fn validate(
                type_name: &str,
                config: &Value,
            ) -> Vec<trellis_provider::AttributeDiagnostic> {
                validate(type_name, config)
            }

            fn plan_change(
                type_name: &str,
                region: &str,
                config: &Value,
                prior: Option<&Value>,
                planned: &mut Value,
            ) -> Vec<trellis_provider::AttributeDiagnostic> {
                let plan: fn(
                    &str,
                    &str,
                    &Value,
                    Option<&Value>,
                    &mut Value,
                ) -> Vec<trellis_provider::AttributeDiagnostic> = $plan;
                plan(type_name, region, config, prior, planned)
            }

            async fn read(
                c: &Clients,
                type_name: &str,
                prior: &Value,
            ) -> Result<Option<Value>, ProviderError> {
                read(c, type_name, prior).await
            }

            async fn create(
                c: &Clients,
                type_name: &str,
                planned: &Value,
                token: &str,
            ) -> Result<Value, ProviderError> {
                create(c, type_name, planned, token).await
            }

            async fn update(
                c: &Clients,
                type_name: &str,
                prior: &Value,
                planned: &Value,
            ) -> Result<Value, ProviderError> {
                update(c, type_name, prior, planned).await
            }

            async fn delete(
                c: &Clients,
                type_name: &str,
                prior: &Value,
            ) -> Result<(), ProviderError> {
                delete(c, type_name, prior).await
            }

            async fn settle(
                c: &Clients,
                type_name: &str,
                planned: &Value,
                token: &str,
            ) -> Result<Option<Value>, ProviderError> {
                settle(c, type_name, planned, token).await
            }

            async fn import(
                c: &Clients,
                type_name: &str,
                id: &str,
            ) -> Result<Option<Value>, ProviderError> {
                import(c, type_name, id).await
            }

            async fn read_data(
                c: &Clients,
                type_name: &str,
                config: &Value,
            ) -> Result<Value, ProviderError> {
                read_data(c, type_name, config).await
            }

            fn drop_defaults(
                type_name: &str,
                arguments: &mut std::collections::BTreeMap<String, Value>,
            ) {
                let defaults: fn(&str, &mut std::collections::BTreeMap<String, Value>) = $defaults;
                defaults(type_name, arguments)
            }
        }
    };
}

pub mod clients;
pub mod convert;
pub mod error;
pub mod once;
pub mod resource;
pub mod schema;
pub mod values;
pub mod wait;
