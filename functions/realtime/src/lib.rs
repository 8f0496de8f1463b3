//! `realtime`: the WebSocket API's routes. `$connect` spends the ticket in the URL and
//! registers the connection (a refused ticket answers 401: API Gateway then refuses the
//! socket); `$disconnect` forgets it; `$default` takes an action (`typing`, `ping`) and
//! pushes the answer, if any, back to the connection. lambda_http cannot parse these
//! events: they are aws_lambda_events' WebSocket types, on lambda_runtime.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use common::domain::realtime::{Action, Event};
use common::lambda::Error;
use common::{ApiError, App};
use lambda_runtime::LambdaEvent;

fn answer(status: i64, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = body.map(Body::Text);
    response
}

pub async fn handle(
    app: &App,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let context = &request.request_context;
    let connection = context
        .connection_id
        .as_deref()
        .ok_or("a WebSocket event without a connection id")?;
    let sockets = app
        .sockets
        .as_ref()
        .ok_or("REALTIME_URL is not set: this function has no sockets")?;
    match context.event_type.as_deref() {
        Some("CONNECT") => {
            let ticket = request
                .query_string_parameters
                .first("ticket")
                .unwrap_or_default();
            match app.socket_opened(ticket, connection).await {
                Ok(_) => Ok(answer(200, None)),
                Err(ApiError::Unauthorized(reason)) => Ok(answer(401, Some(reason))),
                Err(other) => Err(other.into()),
            }
        }
        Some("DISCONNECT") => {
            app.socket_closed(connection).await?;
            Ok(answer(200, None))
        }
        Some("MESSAGE") => {
            // Gone already (its $disconnect came first): nothing to answer.
            let Some(listener) = sockets.realtime.listener(connection).await? else {
                return Ok(answer(410, None));
            };
            let text = request.body.unwrap_or_default();
            let reply = match serde_json::from_str::<Action>(&text) {
                Ok(action) => app.socket_action(&listener, connection, action).await?,
                Err(error) => Some(Event::error(&format!("action: {error}"))),
            };
            if let Some(reply) = reply {
                // Best effort, like every push: a client that missed it asks again.
                let _ = sockets
                    .realtime
                    .pusher
                    .push(connection, &reply.to_json())
                    .await;
            }
            Ok(answer(200, None))
        }
        other => Err(format!("a WebSocket event of type {other:?}").into()),
    }
}
