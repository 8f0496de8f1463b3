//! Attachments on S3, over HTTP against moto server: the adapter's presigned upload and
//! download work with a plain HTTP client (as a browser would use them), and the whole
//! flow runs through the API with the table on moto's DynamoDB and files on its S3.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use common::objects::{Download, Objects, Upload};
use serde_json::json;
use tests::{PNG, TestApp, error_message, http, moto_objects, moto_table, signed_headers};

async fn state_tag(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let tags = client
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let state = tags.tag_set().iter().find(|t| t.key() == "state").unwrap();
    state.value().to_string()
}

#[tokio::test]
async fn a_presigned_upload_and_download_work_over_http() {
    let (client, bucket, objects) = moto_objects().await;
    let key = "uploads/alice/01JTEST";
    let upload = Upload {
        key,
        content_type: "image/png",
        size: PNG.len() as u64,
        filename: "Kitchen – before.png",
    };
    let signed = objects.sign_upload(&upload, Utc::now()).await.unwrap();
    assert_eq!(signed.method, "PUT");
    // S3 refuses an upload of another type, length, name or tag: each is signed.
    let signed_headers_param = signed
        .url
        .split('&')
        .find(|p| p.starts_with("X-Amz-SignedHeaders="))
        .unwrap();
    for header in [
        "content-length",
        "content-type",
        "x-amz-meta-filename",
        "x-amz-tagging",
    ] {
        assert!(
            signed_headers_param.contains(header),
            "{header} is not signed: {signed_headers_param}"
        );
    }
    // Browsers set Content-Length themselves and refuse to be told it.
    assert!(!signed.headers.contains_key("content-length"));
    let headers: Vec<(String, String)> = signed.headers.clone().into_iter().collect();
    let (status, _, answer) = http("PUT", &signed.url, &headers, PNG.to_vec()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(state_tag(&client, &bucket, key).await, "pending");
    // The URL writes once: S3's conditional write, signed in, refuses the same PUT again
    // with other bytes (an executable of the same length). (moto checks no signatures,
    // so that leaving the condition out breaks the signature is tested on the local
    // store, in `attachments.rs`.)
    assert!(signed_headers_param.contains("if-none-match"));
    let mut executable = b"MZ".to_vec();
    executable.resize(PNG.len(), 0x90);
    let (status, _, answer) = http("PUT", &signed.url, &headers, executable).await;
    assert_eq!(status, 412, "{}", String::from_utf8_lossy(&answer));

    let stored = objects.inspect(key).await.unwrap().expect("uploaded");
    assert_eq!(stored.size, PNG.len() as u64);
    assert_eq!(stored.content_type, "image/png");
    assert_eq!(stored.filename.as_deref(), Some("Kitchen – before.png"));
    assert_eq!(stored.head, PNG[..16]);
    assert!(
        objects
            .inspect("uploads/alice/nothing")
            .await
            .unwrap()
            .is_none()
    );

    objects.keep(key).await.unwrap();
    assert_eq!(state_tag(&client, &bucket, key).await, "kept");

    let download = Download {
        key,
        content_type: "image/png",
        disposition: "inline; filename=\"photo.png\"",
    };
    let link = objects.sign_download(&download, Utc::now()).await.unwrap();
    let (status, headers, bytes) = http("GET", &link.url, &[], Vec::new()).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, PNG);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"photo.png\""
    );
}

#[tokio::test]
async fn erasing_deletes_every_file_under_the_owner_and_nothing_else() {
    let (client, bucket, objects) = moto_objects().await;
    for key in [
        "uploads/alice/1",
        "uploads/alice/2",
        "uploads/alice.b/3",
        "uploads/bob/4",
    ] {
        client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(PNG.to_vec().into())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(objects.delete_under("uploads/alice/").await.unwrap(), 2);
    assert_eq!(objects.delete_under("uploads/alice/").await.unwrap(), 0);
    let left = client
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["uploads/alice.b/3", "uploads/bob/4"]);
}

#[tokio::test]
async fn the_attachment_flow_runs_on_moto_and_refuses_the_wrong_type_or_size() {
    let (_, _, objects) = moto_objects().await;
    let app = TestApp::on(moto_table().await).with_objects(Arc::new(objects));
    app.listing("L1", "bob", "active").await;
    let alice = app.token("alice", &[]);
    let bob = app.token("bob", &[]);

    // Too large, or not an allowed type: refused before anything is signed.
    for (request, field) in [
        (
            json!({"filename": "big.pdf", "content_type": "application/pdf", "size": 10 * 1024 * 1024 + 1}),
            "size:",
        ),
        (
            json!({"filename": "page.html", "content_type": "text/html", "size": 10}),
            "content_type:",
        ),
    ] {
        let (code, error) = app.post("/v1/attachments", &alice, request).await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(error_message(&error).starts_with(field), "{error}");
    }

    // An upload to moto's S3 over HTTP, sent in a message.
    let request = json!({"filename": "couch.png", "content_type": "image/png", "size": PNG.len()});
    let (code, ticket) = app.post("/v1/attachments", &alice, request).await;
    assert_eq!(code, StatusCode::CREATED, "{ticket}");
    let upload = &ticket["upload"];
    let (status, _, _) = http(
        "PUT",
        upload["url"].as_str().unwrap(),
        &signed_headers(upload),
        PNG.to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    let file = ticket["id"].as_str().unwrap();
    let body = json!({"type": "direct", "listing_id": "L1", "body": "Is it still available?", "attachments": [file]});
    let (code, created) = app.post("/v1/conversations", &alice, body).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let conversation = created["conversation"]["id"].as_str().unwrap();
    let message = created["message"]["id"].as_str().unwrap();
    assert_eq!(
        created["message"]["attachments"],
        json!([{"id": file, "filename": "couch.png", "content_type": "image/png", "size": PNG.len()}])
    );

    // The seller downloads it from moto.
    let path = format!("/v1/conversations/{conversation}/messages/{message}/attachments/{file}");
    let (code, link) = app.get(&path, &bob).await;
    assert_eq!(code, StatusCode::OK, "{link}");
    let url = link["download"]["url"].as_str().unwrap();
    let (status, headers, bytes) = http("GET", url, &[], Vec::new()).await;
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"couch.png\"; filename*=UTF-8''couch.png"
    );

    // A page uploaded as a PNG (the type signed, the bytes not an image) is refused
    // when a message names it, and nothing is written.
    let page = b"<html><script>steal()</script></html>";
    let request = json!({"filename": "photo.png", "content_type": "image/png", "size": page.len()});
    let (_, ticket) = app.post("/v1/attachments", &alice, request).await;
    let upload = &ticket["upload"];
    let url = upload["url"].as_str().unwrap();
    let (status, _, _) = http("PUT", url, &signed_headers(upload), page.to_vec()).await;
    assert_eq!(status, 200);
    let body = json!({"body": "another photo", "attachments": [ticket["id"]]});
    let (code, error) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            &alice,
            body,
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        error["error"]["message"],
        "attachments: the uploaded file is not a PNG image, as its type says"
    );
    let (_, messages) = app
        .get(&format!("/v1/conversations/{conversation}/messages"), &bob)
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1);
}
