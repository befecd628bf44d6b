//! Protocol 5, served by the protocol 6 implementation: the messages have the same fields
//! under the same numbers (see `trellis_plugin::transcode`), except the schema, converted
//! here.

use tonic::{Request, Response, Status};
use trellis_plugin::proto::tfplugin5 as v5;
use trellis_plugin::proto::tfplugin5::provider_server::Provider as ProviderV5;
use trellis_plugin::proto::tfplugin6 as v6;
use trellis_plugin::proto::tfplugin6::provider_server::Provider as ProviderV6;
use trellis_plugin::transcode;

use crate::provider::TestProvider;

pub struct V5(pub TestProvider);

fn through<A: prost::Message, B: prost::Message + Default>(
    response: Result<Response<A>, Status>,
) -> Result<Response<B>, Status> {
    response.map(|r| Response::new(transcode(r.into_inner())))
}

fn block(b: v6::schema::Block) -> v5::schema::Block {
    v5::schema::Block {
        version: b.version,
        attributes: b
            .attributes
            .into_iter()
            .map(|a| v5::schema::Attribute {
                name: a.name,
                r#type: a.r#type,
                description: a.description,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: a.description_kind,
                deprecated: a.deprecated,
                write_only: a.write_only,
            })
            .collect(),
        block_types: b
            .block_types
            .into_iter()
            .map(|n| v5::schema::NestedBlock {
                type_name: n.type_name,
                block: n.block.map(block),
                nesting: n.nesting,
                min_items: n.min_items,
                max_items: n.max_items,
            })
            .collect(),
        description: b.description,
        description_kind: b.description_kind,
        deprecated: b.deprecated,
    }
}

fn schema(s: v6::Schema) -> v5::Schema {
    v5::Schema {
        version: s.version,
        block: s.block.map(block),
    }
}

#[tonic::async_trait]
impl ProviderV5 for V5 {
    async fn get_metadata(
        &self,
        r: Request<v5::get_metadata::Request>,
    ) -> Result<Response<v5::get_metadata::Response>, Status> {
        through(
            self.0
                .get_metadata(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn get_schema(
        &self,
        _r: Request<v5::get_provider_schema::Request>,
    ) -> Result<Response<v5::get_provider_schema::Response>, Status> {
        let s = self
            .0
            .get_provider_schema(Request::new(v6::get_provider_schema::Request {}))
            .await?
            .into_inner();
        Ok(Response::new(v5::get_provider_schema::Response {
            provider: s.provider.map(schema),
            resource_schemas: s
                .resource_schemas
                .into_iter()
                .map(|(k, v)| (k, schema(v)))
                .collect(),
            data_source_schemas: s
                .data_source_schemas
                .into_iter()
                .map(|(k, v)| (k, schema(v)))
                .collect(),
            diagnostics: s.diagnostics.into_iter().map(transcode).collect(),
            provider_meta: s.provider_meta.map(schema),
            server_capabilities: s.server_capabilities.map(transcode),
        }))
    }

    async fn prepare_provider_config(
        &self,
        r: Request<v5::prepare_provider_config::Request>,
    ) -> Result<Response<v5::prepare_provider_config::Response>, Status> {
        let config = r.get_ref().config.clone();
        let mut response: Response<v5::prepare_provider_config::Response> = through(
            self.0
                .validate_provider_config(Request::new(transcode(r.into_inner())))
                .await,
        )?;
        // Protocol 5 hands the (unchanged) configuration back.
        response.get_mut().prepared_config = config;
        Ok(response)
    }

    async fn validate_resource_type_config(
        &self,
        r: Request<v5::validate_resource_type_config::Request>,
    ) -> Result<Response<v5::validate_resource_type_config::Response>, Status> {
        through(
            self.0
                .validate_resource_config(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn validate_data_source_config(
        &self,
        r: Request<v5::validate_data_source_config::Request>,
    ) -> Result<Response<v5::validate_data_source_config::Response>, Status> {
        through(
            self.0
                .validate_data_resource_config(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<v5::upgrade_resource_state::Request>,
    ) -> Result<Response<v5::upgrade_resource_state::Response>, Status> {
        through(
            self.0
                .upgrade_resource_state(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn configure(
        &self,
        r: Request<v5::configure::Request>,
    ) -> Result<Response<v5::configure::Response>, Status> {
        through(
            self.0
                .configure_provider(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn read_resource(
        &self,
        r: Request<v5::read_resource::Request>,
    ) -> Result<Response<v5::read_resource::Response>, Status> {
        through(
            self.0
                .read_resource(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn plan_resource_change(
        &self,
        r: Request<v5::plan_resource_change::Request>,
    ) -> Result<Response<v5::plan_resource_change::Response>, Status> {
        through(
            self.0
                .plan_resource_change(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn apply_resource_change(
        &self,
        r: Request<v5::apply_resource_change::Request>,
    ) -> Result<Response<v5::apply_resource_change::Response>, Status> {
        through(
            self.0
                .apply_resource_change(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn import_resource_state(
        &self,
        r: Request<v5::import_resource_state::Request>,
    ) -> Result<Response<v5::import_resource_state::Response>, Status> {
        through(
            self.0
                .import_resource_state(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn read_data_source(
        &self,
        r: Request<v5::read_data_source::Request>,
    ) -> Result<Response<v5::read_data_source::Response>, Status> {
        through(
            self.0
                .read_data_source(Request::new(transcode(r.into_inner())))
                .await,
        )
    }

    async fn stop(
        &self,
        r: Request<v5::stop::Request>,
    ) -> Result<Response<v5::stop::Response>, Status> {
        through(
            self.0
                .stop_provider(Request::new(transcode(r.into_inner())))
                .await,
        )
    }
}
