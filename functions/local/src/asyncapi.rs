//! The real-time protocol's AsyncAPI 3 document, derived from the types the server sends
//! and takes (`domain::realtime::{Event, Action}`), so it cannot drift from them.

use common::domain::realtime::{Action, Event};
use serde_json::{Map, Value, json};
use utoipa::{PartialSchema, ToSchema};

/// The document, as `GET /asyncapi.json` serves it.
pub fn document() -> Value {
    let mut named = Vec::new();
    <Event as ToSchema>::schemas(&mut named);
    <Action as ToSchema>::schemas(&mut named);
    let mut schemas = Map::new();
    for (name, schema) in named {
        schemas.insert(name, json!(schema));
    }
    schemas.insert("Event".into(), json!(<Event as PartialSchema>::schema()));
    schemas.insert("Action".into(), json!(<Action as PartialSchema>::schema()));
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "SayPro messaging: real time",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One WebSocket per signed-in person, opened with a one-time ticket \
                (POST /v1/realtime/tickets, then open its url within 60 seconds). The server \
                sends events; the client sends actions. Every event reaches the sockets of \
                those who could read its object through the API now. Ping within 10 minutes; \
                reconnect with a new ticket when closed, then fetch what was missed over REST."
        },
        "servers": {
            "aws": {
                "host": "{api}.execute-api.{region}.amazonaws.com",
                "pathname": "/{stage}",
                "protocol": "wss",
                "description": "API Gateway's WebSocket API (the RealtimeUrl output)",
                "variables": {
                    "api": {"description": "the WebSocket API's id"},
                    "region": {"default": "af-south-1"},
                    "stage": {"default": "dev"}
                }
            },
            "local": {
                "host": "127.0.0.1:3000",
                "pathname": "/v1/realtime",
                "protocol": "ws",
                "description": "the dev server"
            }
        },
        "channels": {
            "socket": {
                "address": "?ticket={ticket}",
                "parameters": {"ticket": {"description": "the one-time ticket"}},
                "messages": {
                    "event": {"$ref": "#/components/messages/event"},
                    "action": {"$ref": "#/components/messages/action"}
                }
            }
        },
        "operations": {
            "receiveEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/socket"},
                "messages": [{"$ref": "#/channels/socket/messages/event"}]
            },
            "sendActions": {
                "action": "send",
                "channel": {"$ref": "#/channels/socket"},
                "messages": [{"$ref": "#/channels/socket/messages/action"}]
            }
        },
        "components": {
            "messages": {
                "event": {
                    "name": "event",
                    "contentType": "application/json",
                    "payload": {"$ref": "#/components/schemas/Event"}
                },
                "action": {
                    "name": "action",
                    "contentType": "application/json",
                    "payload": {"$ref": "#/components/schemas/Action"}
                }
            },
            "schemas": Value::Object(schemas)
        }
    })
}
