//! Files in messages, on the dev server's local store (the same API as S3; the S3
//! adapter itself is tested against moto in `s3_api.rs`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{PDF, PNG, TestApp, error_message, put_signed};

/// A listing of Sipho's and a direct conversation Thandi opened about it.
async fn buyer_and_seller() -> (TestApp, String, String, String) {
    let app = TestApp::in_memory();
    app.listing("L1", "sipho", "active").await;
    let thandi = app.token("thandi", &[]);
    let sipho = app.token("sipho", &[]);
    let id = app
        .direct(&thandi, "L1", "Is the couch still for sale?")
        .await;
    (app, thandi, sipho, id)
}

async fn send(app: &TestApp, token: &str, conversation: &str, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/conversations/{conversation}/messages"),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn a_photo_goes_to_the_seller_who_downloads_it_through_a_short_lived_link() {
    let (app, thandi, sipho, id) = buyer_and_seller().await;
    let photo = app.upload(&thandi, "couch (1).png", "image/png", PNG).await;
    let quote = app
        .upload(&thandi, "C:\\docs\\quote.pdf", "application/pdf", PDF)
        .await;

    // Files alone make a message.
    let (code, message) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "  ", "attachments": [photo, quote]}),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{message}");
    assert_eq!(message["body"], "");
    assert_eq!(
        message["attachments"],
        json!([
            {"id": photo, "filename": "couch (1).png", "content_type": "image/png", "size": PNG.len()},
            {"id": quote, "filename": "quote.pdf", "content_type": "application/pdf", "size": PDF.len()},
        ])
    );
    assert!(app.run_stream().await.is_empty());
    let (_, notifications) = app.get("/v1/notifications", &sipho).await;
    assert_eq!(notifications["items"][0]["preview"], "Sent 2 files");

    let message_id = message["id"].as_str().unwrap();
    let path =
        |file: &str| format!("/v1/conversations/{id}/messages/{message_id}/attachments/{file}");
    let (code, link) = app.get(&path(&photo), &sipho).await;
    assert_eq!(code, StatusCode::OK, "{link}");
    assert_eq!(link["filename"], "couch (1).png");
    let download = &link["download"];
    assert_eq!(download["method"], "GET");
    let expires =
        chrono::DateTime::parse_from_rfc3339(download["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires - app.clock_now().fixed_offset(),
        chrono::Duration::minutes(5)
    );
    let url = download["url"].as_str().unwrap();
    let (status, headers, bytes) = app.fetch(url).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PNG));
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // Images open in the browser; documents download.
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"couch (1).png\"")
    );
    let (_, link) = app.get(&path(&quote), &thandi).await;
    let (_, headers, _) = app.fetch(link["download"]["url"].as_str().unwrap()).await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );

    // The link is the file's key for five minutes only, and only as signed.
    let tampered = url.replace("image%2Fpng", "text%2Fhtml");
    let (status, _, _) = app.fetch(&tampered).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.clock.advance(chrono::Duration::minutes(6));
    let (status, _, _) = app.fetch(url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_upload_must_be_the_request_signed_and_an_allowed_file_within_the_cap() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    for (request, starts) in [
        (
            json!({"filename": "x.svg", "content_type": "image/svg+xml", "size": 10}),
            "content_type:",
        ),
        (
            json!({"filename": "x.exe", "content_type": "application/octet-stream", "size": 10}),
            "content_type:",
        ),
        (
            json!({"filename": "big.png", "content_type": "image/png", "size": 10 * 1024 * 1024 + 1}),
            "size: files are at most 10.0 MB",
        ),
        (
            json!({"filename": "empty.png", "content_type": "image/png", "size": 0}),
            "size: the file is empty",
        ),
        (
            json!({"filename": "../", "content_type": "image/png", "size": 10}),
            "filename:",
        ),
    ] {
        let (code, error) = app.post("/v1/attachments", &thandi, request).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
        assert!(error_message(&error).starts_with(starts), "{error}");
    }

    let request = json!({"filename": "couch.png", "content_type": "image/png", "size": PNG.len()});
    let (_, ticket) = app.post("/v1/attachments", &thandi, request).await;
    let upload = &ticket["upload"];
    assert_eq!(upload["headers"]["content-type"], "image/png");
    let url = upload["url"].as_str().unwrap();
    let signed = [
        ("content-type", "image/png"),
        (
            "x-amz-meta-filename",
            upload["headers"]["x-amz-meta-filename"].as_str().unwrap(),
        ),
    ];
    // Another type, another length or another name than signed: refused, as S3 would.
    let mut as_html = signed;
    as_html[0].1 = "text/html";
    let mut renamed = signed;
    renamed[1].1 = "evil.exe";
    for (headers, body) in [
        (as_html, PNG.to_vec()),
        (signed, [PNG, b"more"].concat()),
        (renamed, PNG.to_vec()),
    ] {
        let (status, _, _) = app.raw(Method::PUT, url, &headers, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // After its 15 minutes, the upload link is dead.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, _, _) = put_signed(&app, upload, PNG).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// An executable of the PNG's length, so only its bytes differ from what was signed.
fn executable_like(file: &[u8]) -> Vec<u8> {
    let mut bytes = b"MZ".to_vec();
    bytes.resize(file.len(), 0x90);
    bytes
}

#[tokio::test]
async fn a_sent_file_cannot_be_swapped_by_putting_its_upload_link_again() {
    let (app, thandi, sipho, id) = buyer_and_seller().await;
    let request = json!({"filename": "couch.png", "content_type": "image/png", "size": PNG.len()});
    let (_, ticket) = app.post("/v1/attachments", &thandi, request).await;
    let upload = &ticket["upload"];
    assert_eq!(upload["headers"]["if-none-match"], "*");
    let (status, _, _) = put_signed(&app, upload, PNG).await;
    assert_eq!(status, StatusCode::OK);
    let photo = ticket["id"].as_str().unwrap();
    let (code, message) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "", "attachments": [photo]}),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{message}");

    // The same link within its 15 minutes, every header as signed: written once.
    let (status, _, answer) = put_signed(&app, upload, &executable_like(PNG)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["error"]["code"], "precondition_failed", "{answer}");
    // Leaving the condition out breaks the signature.
    let headers: Vec<(String, String)> = tests::signed_headers(upload)
        .into_iter()
        .filter(|(name, _)| name != "if-none-match")
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let url = upload["url"].as_str().unwrap();
    let (status, _, _) = app
        .raw(Method::PUT, url, &headers, executable_like(PNG))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The seller downloads what was sent.
    let message_id = message["id"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}/messages/{message_id}/attachments/{photo}");
    let (_, link) = app.get(&path, &sipho).await;
    let (status, _, bytes) = app.fetch(link["download"]["url"].as_str().unwrap()).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PNG));
}

#[tokio::test]
async fn a_message_carries_only_its_authors_uploads_of_the_kind_they_claim() {
    let (app, thandi, sipho, id) = buyer_and_seller().await;
    let eve = app.token("eve", &[]);
    let photo = app.upload(&thandi, "couch.png", "image/png", PNG).await;
    let before = app.item_count();

    // Sipho cannot send Thandi's upload, nor anyone an id that is not an upload.
    let (code, error) = send(
        &app,
        &sipho,
        &id,
        json!({"body": "look", "attachments": [photo]}),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        error_message(&error).contains("is not a file you uploaded"),
        "{error}"
    );
    let (code, _) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "look", "attachments": ["01NOPE"]}),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    // Six files, or one twice: refused.
    let six: Vec<&str> = std::iter::repeat_n(photo.as_str(), 6).collect();
    let (_, error) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "look", "attachments": six}),
    )
    .await;
    assert!(
        error_message(&error).starts_with("attachments: at most 5"),
        "{error}"
    );
    let (_, error) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "look", "attachments": [photo, photo]}),
    )
    .await;
    assert!(error_message(&error).contains("named twice"), "{error}");
    // A page uploaded as a PNG is refused by its first bytes.
    let page = b"<!doctype html><script>alert(1)</script>";
    let fake = app.upload(&thandi, "couch2.png", "image/png", page).await;
    let (_, error) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "look", "attachments": [fake]}),
    )
    .await;
    assert_eq!(
        error_message(&error),
        "attachments: the uploaded file is not a PNG image, as its type says"
    );
    // A file's name is read by the abuse filter like the text.
    let phishing = app
        .upload(
            &thandi,
            "log in at saypro-secure.com now.pdf",
            "application/pdf",
            PDF,
        )
        .await;
    let (code, error) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "see attached", "attachments": [phishing]}),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&error).contains("imitates SayPro"), "{error}");
    // Eve, not a participant, cannot write there at all.
    let (code, _) = send(&app, &eve, &id, json!({"body": "hi"})).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(app.item_count(), before, "nothing was written");

    // Sent once, even when the request is retried.
    let key = "photo-1";
    let body = json!({"body": "the couch", "attachments": [photo]});
    let path = format!("/v1/conversations/{id}/messages");
    let (code, first) = app.post_with_key(&path, &thandi, body.clone(), key).await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, again) = app.post_with_key(&path, &thandi, body, key).await;
    assert_eq!(
        (code, &again),
        (StatusCode::CREATED, &first),
        "the first answer again"
    );
    let (_, messages) = app.get(&path, &sipho).await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_those_who_may_read_the_message_download_and_moderators_leave_a_trace() {
    let (app, thandi, sipho, id) = buyer_and_seller().await;
    let eve = app.token("eve", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let mpho = app.token("mpho", &["moderator"]);
    let photo = app.upload(&thandi, "couch.png", "image/png", PNG).await;
    let (_, message) = send(
        &app,
        &thandi,
        &id,
        json!({"body": "the couch", "attachments": [photo]}),
    )
    .await;
    let message_id = message["id"].as_str().unwrap();
    let tail = format!("{id}/messages/{message_id}/attachments/{photo}");
    let user_path = format!("/v1/conversations/{tail}");
    let moderator_path =
        format!("/v1/admin/moderation/conversations/{tail}?reason=report%20of%20a%20scam");

    let (code, _) = app.get(&user_path, &eve).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "not Eve's conversation");
    let (code, _) = app
        .get(&format!("/v1/admin/conversations/{tail}"), &sam)
        .await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "admins do not read buyer–seller threads"
    );
    let (code, _) = app
        .get(
            &format!("/v1/conversations/{id}/messages/{message_id}/attachments/01OTHER"),
            &sipho,
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // A moderator hides the message: the seller no longer sees the file; the moderator
    // still can, with a reason, and the audit log says so.
    let (_, report) = app
        .post(
            &format!("/v1/conversations/{id}/reports"),
            &sipho,
            json!({"reason": "scam", "message_id": message_id}),
        )
        .await;
    let close = format!(
        "/v1/admin/moderation/reports/{}/close",
        report["id"].as_str().unwrap()
    );
    let (code, closed) = app
        .post(&close, &mpho, json!({"outcome": "message_hidden"}))
        .await;
    assert_eq!(code, StatusCode::OK, "{closed}");
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &sipho)
        .await;
    assert!(
        messages["items"][1].get("attachments").is_none(),
        "{messages}"
    );
    let (code, _) = app.get(&user_path, &sipho).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = app
        .get(
            &moderator_path.replace("?reason=report%20of%20a%20scam", ""),
            &mpho,
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "a moderator says why");
    let (code, link) = app.get(&moderator_path, &mpho).await;
    assert_eq!(code, StatusCode::OK, "{link}");
    let month = app.clock_now().format("%Y-%m");
    let (_, audit) = app
        .get(&format!("/v1/admin/audit?month={month}"), &mpho)
        .await;
    let read = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["action"] == "attachment.read")
        .expect("the download is audited");
    assert_eq!(
        read["target"],
        format!("conversation:{id}/message:{message_id}/attachment:{photo}")
    );
    assert_eq!(read["detail"], "report of a scam");
}

#[tokio::test]
async fn admins_download_files_in_their_teams_support_conversations() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    let proof = app
        .upload(&thandi, "proof of payment.pdf", "application/pdf", PDF)
        .await;
    let (code, created) = app
        .post(
            "/v1/conversations",
            &thandi,
            json!({"type": "support", "category": "general", "subject": "Refund", "body": "Paid twice, proof attached", "attachments": [proof]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let id = created["conversation"]["id"].as_str().unwrap();
    let message = created["message"]["id"].as_str().unwrap();
    let path = format!("/v1/admin/conversations/{id}/messages/{message}/attachments/{proof}");
    let (code, link) = app.get(&path, &sam).await;
    assert_eq!(code, StatusCode::OK, "{link}");
    let (_, _, bytes) = app.fetch(link["download"]["url"].as_str().unwrap()).await;
    assert_eq!(bytes, PDF);
    let (code, _) = app.get(&path, &bongi).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "another team's conversation");
}

#[tokio::test]
async fn a_held_message_keeps_its_files_until_a_moderator_releases_it() {
    let (app, _, sipho, id) = buyer_and_seller().await;
    let photo = app.upload(&sipho, "receipt.png", "image/png", PNG).await;
    let (code, held) = send(
        &app,
        &sipho,
        &id,
        json!({"body": "Pay a deposit first to hold it, receipt attached", "attachments": [photo]}),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{held}");
    // A day later the moderator releases it: the file went with it.
    app.clock.advance(chrono::Duration::hours(30));
    let mpho = app.token("mpho", &["moderator"]);
    let release = format!(
        "/v1/admin/moderation/held/{}/release",
        held["held_id"].as_str().unwrap()
    );
    let (code, released) = app.post(&release, &mpho, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{released}");
    assert_eq!(released["request"]["attachments"], json!([photo]));
    let thandi = app.token("thandi", &[]);
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    assert_eq!(
        messages["items"][1]["attachments"][0]["filename"],
        "receipt.png"
    );
}
