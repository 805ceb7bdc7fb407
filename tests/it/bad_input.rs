//! Hostile and malformed input: always a 4xx with the documented body,
//! never a 5xx, a panic or a hang.

use serde_json::{json, Value};

use crate::{both_engines, common::*};

/// Asserts a 4xx reply with a non-empty OAuth `error`.
fn assert_oauth_error(status: u16, body: &Value, context: &str) {
    assert!(
        (400..500).contains(&status),
        "{context}: status {status}, body {body}"
    );
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{context}: {body}"
    );
}

both_engines!(
    malformed_token_requests_get_oauth_errors,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let bodies: Vec<(&str, String)> = vec![
            ("application/json", "{".into()),
            ("application/json", "[]".into()),
            ("application/json", "null".into()),
            ("application/json", r#"{"grant_type": 5}"#.into()),
            (
                "application/json",
                r#"{"grant_type": ["refresh_token"]}"#.into(),
            ),
            (
                "application/json",
                r#"{"grant_type":"refresh_token","refresh_token":{"$gt":""}}"#.into(),
            ),
            (
                "application/json",
                r#"{"grant_type":"refresh_token","refresh_token":1e999999}"#.into(),
            ),
            (
                "application/json",
                format!(
                    r#"{{"grant_type":"refresh_token","refresh_token":{}}}"#,
                    "9".repeat(5000)
                ),
            ),
            ("application/json", deep),
            ("application/json", "\u{0}\u{1}".into()),
            (
                "application/x-www-form-urlencoded",
                "grant_type=refresh_token&grant_type=refresh_token".into(),
            ),
            ("application/x-www-form-urlencoded", "%%%%=&&&".into()),
            (
                "application/x-www-form-urlencoded",
                "grant_type=refresh_token&refresh_token=' OR 1=1 --".into(),
            ),
            (
                "application/x-www-form-urlencoded",
                format!(
                    "grant_type=refresh_token&refresh_token={}",
                    "a".repeat(10_000)
                ),
            ),
            ("text/xml", "<grant_type/>".into()),
            ("multipart/form-data; boundary=x", "--x--".into()),
        ];
        for (content_type, body) in bodies {
            let response = app
                .http
                .post(app.url("/v1/oauth/token/user"))
                .header("content-type", content_type)
                .basic_auth(&s.client.id, Some(&s.client.secret))
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let (status, reply) = status_json(response).await;
            assert_oauth_error(
                status,
                &reply,
                &format!("{content_type} {}", &body[..body.len().min(60)]),
            );
        }
        // Invalid UTF-8 in a form body.
        let response = app
            .http
            .post(app.url("/v1/oauth/token/user"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a', b'=', 0xff, 0xfe])
            .send()
            .await
            .unwrap();
        let (status, reply) = status_json(response).await;
        assert_oauth_error(status, &reply, "invalid utf-8");
    }
);

both_engines!(
    oversized_bodies_are_413_in_each_envelope,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let huge = format!(
            "grant_type=client_credentials&pad={}",
            "x".repeat(200 * 1024)
        );
        let response = app
            .http
            .post(app.url("/v1/oauth/token/user"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (413, Some("invalid_request"))
        );
        let huge = json!({"query": "plumProAPI.query.getBalance", "variables": {"pad": "x".repeat(200 * 1024)}});
        let (status, body) = app.api(&s.tokens.access, huge).await;
        assert_eq!((status, body["errorId"].as_str()), (413, Some("PLE10001")));
    }
);

both_engines!(garbage_headers_never_cause_5xx, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    let garbage: Vec<Vec<u8>> = vec![
        b"Bearer \xff\xfe".to_vec(),
        b"Basic \xff".to_vec(),
        b"Basic !!!notbase64".to_vec(),
        b"Basic Og==".to_vec(),
        format!("Bearer {}", "A".repeat(5000)).into_bytes(),
        b"Bearer a b c".to_vec(),
    ];
    for value in garbage {
        let header = reqwest::header::HeaderValue::from_bytes(&value).unwrap();
        for (method, path) in [
            ("GET", "/v1/oauth/token"),
            ("POST", "/v1/oauth/token/user"),
            ("POST", "/v1/oauth/api"),
        ] {
            let request = if method == "GET" {
                app.http.get(app.url(path))
            } else {
                app.http.post(app.url(path))
            };
            let response = request
                .header("authorization", header.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!((400..500).contains(&status), "{path} {value:?}: {status}");
        }
    }
    // A header section far beyond any sane size is refused by the server
    // with an answer (431), not a dropped connection.
    let response = app
        .http
        .get(app.url("/v1/oauth/token"))
        .header("x-filler", "y".repeat(1024 * 1024))
        .bearer_auth(&s.tokens.access)
        .send()
        .await
        .expect("an answer to an oversized header section");
    assert_eq!(response.status().as_u16(), 431);
    // The server is still healthy afterwards.
    assert_eq!(app.validate(&s.tokens.access).await.0, 200);
});

// A NUL in an id that is looked up (PostgreSQL text cannot hold one) is an
// unknown id, never a failed query: neither for the request that sent it
// nor for others batched with it.
both_engines!(nul_in_looked_up_ids_is_unknown, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    for path in [
        "/v1/oauth/revoke",
        "/v1/oauth/introspect",
        "/v1/oauth/token/user",
    ] {
        let (status, body) = status_json(
            app.http
                .post(app.url(path))
                .json(&json!({"client_id": "ab\u{0}c", "client_secret": "x", "token": "y", "grant_type": "client_credentials"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{path}: {body}"
        );
    }
    for path in ["/v1/oauth/authorize", "/v1/oauth/authorize/signup"] {
        let response = app
            .http
            .get(app.url(&format!("{path}?client_id=a%00b&response_type=code")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}: no such app");
    }
    // The app's own requests still work.
    let (status, _) = app
        .form(
            "/v1/oauth/token/user",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &s.tokens.refresh),
            ],
            Some(&s.client),
        )
        .await;
    assert_eq!(status, 200);
});
