//! What the provider's emulator-backed tests and the discovery benchmark share: a provider
//! configured against the emulator, every service's endpoint pointing at it.

use std::sync::Arc;

use trellis_aws::AwsFactory;
use trellis_emulator::Emulator;
use trellis_provider::{ConfigureRequest, Provider, ProviderFactory};
use trellis_types::Value;

/// A configured `aws` provider in us-east-1 whose every endpoint is the emulator's, with the
/// emulator's default credentials.
pub async fn provider(emulator: &Emulator) -> Arc<dyn Provider> {
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    let url = emulator.endpoint_url();
    let endpoints =
        ["vpclattice", "sts", "ram", "ec2", "route53"].map(|service| (service, Value::string(url)));
    AwsFactory::new()
        .configure(ConfigureRequest {
            key: "aws".into(),
            config: Value::object([
                ("region", Value::string("us-east-1")),
                ("endpoints", Value::object(endpoints)),
            ]),
        })
        .await
        .expect("configure")
}
