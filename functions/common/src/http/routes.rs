use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use domain::identity::Access;
use messaging::{ApiError, AppState};

use super::HttpError;
use super::extract::authenticate;

/// Far above any valid request (a message is at most 5,000 characters).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A router that remembers its routes and who each is for, so tests can hold them
/// against the OpenAPI document and walk every route with every role.
pub struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str, Option<Access>)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
        }
    }
}

impl Routes {
    /// A route for callers `access` admits. Its gate runs before anything of the request
    /// is read: no token is a 401, the wrong role a 403, and only then do the handler's
    /// extractors read the path, query and body. The handler takes the admitted caller
    /// as [`super::Authenticated`].
    pub fn on<H, T>(self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let gated = Self::method_router(&method, handler).route_layer(axum::middleware::from_fn(
            move |request: Request, next: Next| gate(access, request, next),
        ));
        self.route(method, path, Some(access), gated)
    }

    /// A route that needs no token (the survey link, the API document).
    pub fn open<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let router = Self::method_router(&method, handler);
        self.open_route(method, path, router)
    }

    /// An open route built by hand (with its own layers: the dev server's uploads).
    pub fn open_route(
        self,
        method: Method,
        path: &'static str,
        router: MethodRouter<AppState>,
    ) -> Self {
        self.route(method, path, None, router)
    }

    fn method_router<H, T>(method: &Method, handler: H) -> MethodRouter<AppState>
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        on(filter, handler)
    }

    fn route(
        mut self,
        method: Method,
        path: &'static str,
        access: Option<Access>,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.list.push((method, path, access));
        self.router = self.router.route(path, handler);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.list.extend(other.list);
        self.router = self.router.merge(other.router);
        self
    }

    /// The (method, path) pairs served, in axum's path syntax.
    pub fn list(&self) -> Vec<(Method, &'static str)> {
        self.list
            .iter()
            .map(|(method, path, _)| (method.clone(), *path))
            .collect()
    }

    /// Who each route is for (`None`: no token needed).
    pub fn access(&self) -> &[(Method, &'static str, Option<Access>)] {
        &self.list
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
            .with_state(state)
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
