use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use domain::identity::Access;
use messaging::{ApiError, AppState};
use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, Info, OpenApi, RefOr, Response as ApiResponse, Server};
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

/// One route: `route!(handler)`, a handler and its `#[utoipa::path]` annotation. The
/// router is made from the annotation's path and methods at once; the route's part of
/// the API document (operation and schemas, a tree of strings) only when the document
/// is asked for. No Lambda function serves the document, and building it was a sixth
/// of a cold start (docs/operators.md#cold-starts).
pub struct Route {
    pub path: String,
    pub methods: Vec<HttpMethod>,
    pub router: MethodRouter<AppState>,
    pub document: Document,
}

/// A route's part of the API document: the annotation's, with a router of its own
/// that is dropped.
pub type Document = fn() -> UtoipaMethodRouter<AppState>;

impl Route {
    /// Refuses bodies past `bytes` rather than [`MAX_BODY_BYTES`] (files, a batch of
    /// listings).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.router = self.router.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

/// A [`Route`] of a handler annotated with `#[utoipa::path]` (its name, in scope with the
/// annotation's generated `__path_` type).
#[macro_export]
macro_rules! route {
    ($handler:ident) => {
        $crate::http::utoipa_axum::paste! {{
            use $crate::http::utoipa_axum::PathItemExt as _;
            use $crate::http::utoipa::Path as _;
            let methods = [<__path_ $handler>]::methods();
            $crate::http::Route {
                path: [<__path_ $handler>]::path(),
                router: methods.iter().fold(
                    ::axum::routing::MethodRouter::new(),
                    |router, method| router.on(method.to_method_filter(), $handler),
                ),
                methods,
                document: || $crate::http::utoipa_axum::routes!($handler),
            }
        }}
    };
}

/// The route table: the router, and the API document made from the same annotations
/// (`#[utoipa::path]` on each handler), so the two cannot disagree. Each route says who
/// it is for; the document says it too, with the errors its gate answers.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, String, Option<Access>)>,
    documents: Vec<(Option<Access>, Document)>,
}

impl Routes {
    /// A route for callers `access` admits. Its gate runs before anything of the request
    /// is read: no token is a 401, the wrong role a 403, and only then do the handler's
    /// extractors read the path, query and body. The handler takes the admitted caller
    /// as [`super::Authenticated`].
    pub fn on(self, access: Access, mut route: Route) -> Self {
        route.router = route.router.route_layer(axum::middleware::from_fn(
            move |request: Request, next: Next| gate(access, request, next),
        ));
        self.add(Some(access), route)
    }

    /// A route that needs no token (the survey link, the API document, the dev server's
    /// own routes).
    pub fn open(self, route: Route) -> Self {
        self.add(None, route)
    }

    fn add(mut self, access: Option<Access>, route: Route) -> Self {
        for method in &route.methods {
            self.list
                .push((http_method(method), route.path.clone(), access));
        }
        self.router = self.router.route(&route.path, route.router);
        self.documents.push((access, route.document));
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.list.extend(other.list);
        self.router = self.router.merge(other.router);
        self.documents.extend(other.documents);
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
        let mut paths = Paths::new();
        let mut components = Components::new();
        for (access, document) in &self.documents {
            let (schemas, mut route_paths, _) = document();
            for item in route_paths.paths.values_mut() {
                for operation in operations(item) {
                    document_access(operation, *access);
                }
            }
            paths.merge(route_paths);
            components.schemas.extend(schemas);
        }
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
        let mut doc = OpenApi::new(info, paths);
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

/// The operations of a path item.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn http_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
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
