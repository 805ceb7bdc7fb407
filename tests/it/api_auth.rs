//! Bearer authentication and scope checks of `POST /v1/oauth/api`
//! (docs/api.md, "Errors").

use serde_json::json;

use crate::{both_engines, common::*};

both_engines!(
    missing_or_non_bearer_authorization_is_pipe10013,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let body = json!({"query": "plumProAPI.query.getBalance", "tag": "plumProAPI", "variables": {"data": {}}});
        for auth in [
            None,
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer"),
            Some("token abc"),
        ] {
            let mut request = app.http.post(app.url("/v1/oauth/api")).json(&body);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{auth:?}");
            assert!(response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"));
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["errorId"], "PIPE10013", "{auth:?}");
            assert_eq!(body["code"], 401);
            assert_eq!(body["error"], "Invalid authorization header");
        }
    }
);

both_engines!(
    unknown_expired_or_revoked_tokens_are_invalid_token,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let body = json!({"query": "plumProAPI.query.getBalance", "variables": {}});
        let reply = app.api("gly_at_unknown", body.clone()).await;
        assert_error(&reply, 401, "invalid_token");
        app.form(
            "/v1/oauth/revoke",
            &[("token", &s.tokens.access)],
            Some(&s.client),
        )
        .await;
        let reply = app.api(&s.tokens.access, body).await;
        assert_error(&reply, 401, "invalid_token");
    }
);

both_engines!(
    tokens_call_only_the_tags_their_scopes_allow,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Acme").await;
        let client = app.client(company_id, "plum_pro_api,xoxo_link").await;
        let links_only = app.admin_tokens(&client, &email, "xoxo_link").await;
        let response = app
        .http
        .post(app.url("/v1/oauth/api"))
        .bearer_auth(&links_only.access)
        .json(&json!({"query": "plumProAPI.query.getBalance", "tag": "plumProAPI", "variables": {"data": {}}}))
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 403);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            challenge.contains("insufficient_scope") && challenge.contains("plum_pro_api"),
            "{challenge}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "insufficient_scope");
    }
);

both_engines!(
    unknown_operations_and_malformed_bodies_are_ple10001,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let cases = [
            json!({"query": "plumProAPI.mutation.doesNotExist", "variables": {}}),
            json!({"query": "nope.query.x"}),
            json!({"variables": {}}),
            json!({"query": 5}),
            json!({"query": "plumProAPI.query.getBalance", "variables": "x"}),
            json!({"query": "plumProAPI.query.getBalance", "tag": "xoxo_link"}),
            json!([1, 2, 3]),
            json!("string"),
        ];
        for case in cases {
            let (status, body) = app.api(&s.tokens.access, case.clone()).await;
            assert_eq!(status, 400, "{case}");
            assert_eq!(body["code"], 400, "{case}");
            assert_eq!(body["errorId"], "PLE10001", "{case}");
            assert!(body["errorInfo"].as_str().is_some_and(|i| !i.is_empty()));
        }
    }
);
