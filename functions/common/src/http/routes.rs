use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::identity::Access;
use messaging::{ApiError, AppState};
use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, Info, OpenApi, RefOr, Response as ApiResponse, Server, schema};
use utoipa::{PartialSchema, ToResponse, ToSchema};
use utoipa_axum::router::UtoipaMethodRouter;

use super::HttpError;
use super::error::{
    BadRequest, ErrorBody, Forbidden, Internal, TooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use super::extract::authenticate;

/// Far above any valid request (a message is at most 5,000 characters).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The route table: the router, and the API document made from the same annotations
/// (`#[utoipa::path]` on each handler), so the two cannot disagree. Each route says who
/// it is for; the document says it too, with the errors its gate answers.
pub struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, String, Option<Access>)>,
    paths: Paths,
    schemas: Vec<(String, RefOr<schema::Schema>)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
            paths: Paths::new(),
            schemas: Vec::new(),
        }
    }
}

impl Routes {
    /// A route for callers `access` admits (`routes!(handler)`: the handler and its
    /// annotation). Its gate runs before anything of the request is read: no token is
    /// a 401, the wrong role a 403, and only then do the handler's extractors read the
    /// path, query and body. The handler takes the admitted caller as
    /// [`super::Authenticated`].
    pub fn on(
        self,
        access: Access,
        (schemas, paths, router): UtoipaMethodRouter<AppState>,
    ) -> Self {
        let gated = router.route_layer(axum::middleware::from_fn(
            move |request: Request, next: Next| gate(access, request, next),
        ));
        self.add(Some(access), (schemas, paths, gated))
    }

    /// A route that needs no token (the survey link, the API document, the dev server's
    /// own routes).
    pub fn open(self, route: UtoipaMethodRouter<AppState>) -> Self {
        self.add(None, route)
    }

    fn add(
        mut self,
        access: Option<Access>,
        (schemas, mut paths, router): UtoipaMethodRouter<AppState>,
    ) -> Self {
        for (path, item) in paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                self.list.push((method, path.clone(), access));
                document_access(operation, access);
            }
            self.router = self.router.route(path, router.clone());
        }
        self.paths.merge(paths);
        self.schemas.extend(schemas);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.list.extend(other.list);
        self.router = self.router.merge(other.router);
        self.paths.merge(other.paths);
        self.schemas.extend(other.schemas);
        self
    }

    /// The (method, path) pairs served, in the document's path syntax (axum's too).
    pub fn list(&self) -> Vec<(Method, String)> {
        self.list
            .iter()
            .map(|(method, path, _)| (method.clone(), path.clone()))
            .collect()
    }

    /// Who each route is for (`None`: no token needed).
    pub fn access(&self) -> &[(Method, String, Option<Access>)] {
        &self.list
    }

    /// The OpenAPI document of these routes.
    pub fn openapi(&self) -> OpenApi {
        let mut info = Info::new("SayPro Classifieds Messaging API", "1.0.0");
        info.description = Some(
            "Direct messaging between users and the SayPro admin team, and between buyers and \
             sellers about a listing. Errors: the HTTP status plus {\"error\": {\"code\", \
             \"message\", \"request_id\"}}; every answer carries X-Request-Id."
                .into(),
        );
        let mut components = Components::new();
        components.schemas.extend(self.schemas.iter().cloned());
        let mut error_schemas = vec![(ErrorBody::name().into_owned(), ErrorBody::schema())];
        <ErrorBody as ToSchema>::schemas(&mut error_schemas);
        components.schemas.extend(error_schemas);
        for (name, response) in [
            BadRequest::response(),
            Unauthorized::response(),
            Forbidden::response(),
            super::error::NotFound::response(),
            super::error::Conflict::response(),
            TooLarge::response(),
            UnsupportedMediaType::response(),
            super::error::TooManyRequests::response(),
            Unavailable::response(),
            Internal::response(),
        ] {
            components.responses.insert(name.to_string(), response);
        }
        components.security_schemes.insert(
            "bearer".into(),
            RefOr::T(SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            )),
        );
        let mut doc = OpenApi::new(info, self.paths.clone());
        let mut server = Server::new("http://127.0.0.1:3000");
        server.description = Some("local dev server".into());
        doc.servers = Some(vec![server]);
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        doc.components = Some(components);
        doc
    }

    /// The finished router: unknown paths and methods answer in the contract's error shape,
    /// and bodies past [`MAX_BODY_BYTES`] are refused with 413 before they are parsed.
    pub fn into_router(self, state: AppState) -> Router {
        self.router
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .fallback(|| async { HttpError(ApiError::NotFound("no such route".into())) })
            .method_not_allowed_fallback(|| async {
                HttpError(ApiError::MethodNotAllowed(
                    "method not allowed on this route".into(),
                ))
            })
            .layer(axum::Extension(state.clone()))
            .layer(axum::middleware::from_fn({
                let state = state.clone();
                move |request: Request, next: Next| {
                    super::correlation::correlate(state.clone(), request, next)
                }
            }))
            .with_state(state)
    }
}

/// The operations of a path item, with their methods.
fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(Method, &mut Operation)> {
    [
        (HttpMethod::Get, Method::GET, &mut item.get),
        (HttpMethod::Put, Method::PUT, &mut item.put),
        (HttpMethod::Post, Method::POST, &mut item.post),
        (HttpMethod::Delete, Method::DELETE, &mut item.delete),
        (HttpMethod::Patch, Method::PATCH, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(_, method, operation)| Some((method, operation.as_mut()?)))
    .collect()
}

/// What every route of the table answers beside its own responses, in the document:
/// the gate's 401 and 403 (and who the route is for); a 400 for a malformed body, query
/// or path id, a 415 for a body not declared JSON and a 413 for one past the limit,
/// where the operation takes them; a 500, and a 503 when overloaded.
fn document_access(operation: &mut Operation, access: Option<Access>) {
    let respond =
        |operation: &mut Operation, status: &str, (name, _): (&str, RefOr<ApiResponse>)| {
            let reference = utoipa::openapi::Ref::from_response_name(name);
            operation
                .responses
                .responses
                .insert(status.into(), RefOr::Ref(reference));
        };
    match access {
        Some(access) => {
            let for_whom = format!("For: {}.", access.audience());
            operation.description = Some(match operation.description.take() {
                Some(text) => format!("{text}\n\n{for_whom}"),
                None => for_whom,
            });
            respond(operation, "401", Unauthorized::response());
            respond(operation, "403", Forbidden::response());
        }
        None => operation.security = Some(Vec::new()),
    }
    let parameters = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in != utoipa::openapi::path::ParameterIn::Header,
        RefOr::Ref(_) => false,
    });
    if parameters || operation.request_body.is_some() {
        respond(operation, "400", BadRequest::response());
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| match body {
            RefOr::T(body) => body.content.contains_key("application/json"),
            RefOr::Ref(_) => false,
        });
    if json_body {
        respond(operation, "415", UnsupportedMediaType::response());
    }
    if operation.request_body.is_some() {
        respond(operation, "413", TooLarge::response());
    }
    respond(operation, "500", Internal::response());
    // A route may answer its own 503 (the health check's).
    if !operation.responses.responses.contains_key("503") {
        respond(operation, "503", Unavailable::response());
    }
}

/// Authenticates the caller (401) and checks their role for the route (403), then hands
/// the caller on to the handler.
async fn gate(access: Access, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let admitted = match parts.extensions.get::<AppState>() {
        Some(state) => authenticate(&parts, state)
            .and_then(|caller| Ok(access.check(&caller).map(|()| caller)?)),
        None => Err(ApiError::Unexpected(anyhow::anyhow!(
            "the router has no application state"
        ))),
    };
    match admitted {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(error) => HttpError(error).into_response(),
    }
}
