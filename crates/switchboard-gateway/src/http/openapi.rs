//! The OpenAPI document of `/api/v1`, assembled from each capability's
//! `Doc` (its paths are generated from its handlers' annotations).

use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::error::{ErrorDetail, ErrorResponse};

/// The whole document: the shared parts here, one merge per capability.
pub(super) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
        .merge_from(crate::claude::Doc::openapi())
        .merge_from(crate::publish::Doc::openapi())
        .merge_from(crate::notifications::Doc::openapi())
        .merge_from(crate::media::Doc::openapi())
        .merge_from(crate::agents::Doc::openapi())
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn openapi() -> Response {
    axum::Json(document()).into_response()
}

/// What every capability shares: the info, the error body, the `bearer`
/// scheme, and the operational `/stats`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "HTTP API of Switchboard for users and backends."),
    paths(super::stats::stats),
    components(schemas(ErrorResponse, ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` scheme the paths refer to: an API key or a JWT.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
