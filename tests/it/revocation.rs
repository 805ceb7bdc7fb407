//! Validation (`GET /v1/oauth/token`), revocation (RFC 7009),
//! introspection (RFC 7662) and metadata (RFC 8414).

use serde_json::{json, Value};

use crate::{both_engines, common::*};

/// `POST /v1/oauth/revoke` of `token` (with an optional type hint).
async fn revoke(
    app: &TestApp,
    token: &str,
    hint: Option<&str>,
    client: Option<&Client>,
) -> (u16, Value) {
    let mut form = vec![("token", token)];
    form.extend(hint.map(|hint| ("token_type_hint", hint)));
    app.form("/v1/oauth/revoke", &form, client).await
}

/// `POST /v1/oauth/introspect` of `token`.
async fn introspect(app: &TestApp, token: &str, client: Option<&Client>) -> (u16, Value) {
    app.form("/v1/oauth/introspect", &[("token", token)], client)
        .await
}

both_engines!(validation_reports_seconds_left, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    let (status, body) = app.validate(&s.tokens.access).await;
    assert_eq!(status, 200);
    assert_eq!(body["access_token"], s.tokens.access.as_str());
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 2_592_000);
    app.clock.advance_secs(1000);
    assert_eq!(
        app.validate(&s.tokens.access).await.1["expires_in"],
        2_591_000
    );
    for bad in ["nope", "gly_at_unknown", s.tokens.refresh.as_str()] {
        let response = app
            .http
            .get(app.url("/v1/oauth/token"))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{bad}");
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token");
    }
    let reply = status_json(
        app.http
            .get(app.url("/v1/oauth/token"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&reply, 401, "invalid_token");
});

both_engines!(revoking_an_access_token_ends_it, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    let (status, _) = revoke(&app, &s.tokens.access, None, Some(&s.client)).await;
    assert_eq!(status, 200);
    assert_eq!(app.validate(&s.tokens.access).await.0, 401);
    // The refresh token of the grant still works: only the access token went.
    assert_eq!(app.refresh(&s.client, &s.tokens.refresh).await.0, 200);
});

both_engines!(
    revoking_a_refresh_token_ends_the_whole_grant,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let hint = Some("refresh_token");
        let (status, _) = revoke(&app, &s.tokens.refresh, hint, Some(&s.client)).await;
        assert_eq!(status, 200);
        assert_eq!(app.validate(&s.tokens.access).await.0, 401);
        assert_eq!(
            app.refresh(&s.client, &s.tokens.refresh).await.1["error"],
            "invalid_grant"
        );
    }
);

both_engines!(
    revocation_reveals_nothing_and_touches_only_own_tokens,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let other = app.client(s.company_id, "plum_pro_api").await;
        let (status, _) = revoke(&app, "gly_at_nothing", None, Some(&s.client)).await;
        assert_eq!(status, 200);
        let (status, _) = revoke(&app, &s.tokens.access, None, Some(&other)).await;
        assert_eq!(status, 200);
        assert_eq!(
            app.validate(&s.tokens.access).await.0,
            200,
            "another client cannot revoke it"
        );
        let reply = revoke(&app, &s.tokens.access, None, None).await;
        assert_error(&reply, 401, "invalid_client");
        let reply = app.form("/v1/oauth/revoke", &[], Some(&s.client)).await;
        assert_error(&reply, 400, "invalid_request");
    }
);

both_engines!(
    introspection_answers_only_the_owning_client,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let (status, body) = introspect(&app, &s.tokens.access, Some(&s.client)).await;
        assert_eq!(status, 200);
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], s.client.id.as_str());
        assert_eq!(
            crate::token_endpoint::scope_set(&body),
            ["plum_pro_api", "xoxo_link"],
            "{body}"
        );
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["iss"], app.base.as_str());
        assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());
        let other = app.client(s.company_id, "plum_pro_api").await;
        let (_, body) = introspect(&app, &s.tokens.access, Some(&other)).await;
        assert_eq!(body, json!({"active": false}));
        let (_, body) = introspect(&app, "garbage", Some(&s.client)).await;
        assert_eq!(body, json!({"active": false}));
        // A rotated refresh token is no longer active.
        let (_, body) = introspect(&app, &s.tokens.refresh, Some(&s.client)).await;
        assert_eq!(body["active"], true);
        app.refresh(&s.client, &s.tokens.refresh).await;
        let (_, body) = introspect(&app, &s.tokens.refresh, Some(&s.client)).await;
        assert_eq!(body["active"], false);
        let reply = introspect(&app, &s.tokens.access, None).await;
        assert_error(&reply, 401, "invalid_client");
    }
);

both_engines!(metadata_describes_the_server, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (status, body) = status_json(
        app.http
            .get(app.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["issuer"], app.base.as_str());
    assert_eq!(
        body["token_endpoint"],
        app.url("/v1/oauth/token/user").as_str()
    );
    assert_eq!(
        body["revocation_endpoint"],
        app.url("/v1/oauth/revoke").as_str()
    );
    assert_eq!(
        body["introspection_endpoint"],
        app.url("/v1/oauth/introspect").as_str()
    );
    assert_eq!(body["code_challenge_methods_supported"], json!(["S256"]));
    let grants = body["grant_types_supported"].as_array().unwrap();
    assert!(
        !grants.iter().any(|g| g == "password" || g == "implicit"),
        "RFC 9700: no password or implicit grant"
    );
});

both_engines!(
    a_base_path_in_the_public_url_prefixes_every_route,
    |engine| async move {
        let port = free_port();
        let app = TestApp::spawn_with(engine, |c| {
            c.listen = format!("127.0.0.1:{port}");
            c.public_url = Some(format!("http://127.0.0.1:{port}/chef"));
        })
        .await;
        assert!(app.base.ends_with("/chef"));
        let s = app.setup().await;
        assert_eq!(app.refresh(&s.client, &s.tokens.refresh).await.0, 200);
        let root = format!("http://127.0.0.1:{port}");
        let (status, body) = status_json(
            app.http
                .get(format!(
                    "{root}/.well-known/oauth-authorization-server/chef"
                ))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["issuer"].as_str()),
            (200, Some(app.base.as_str()))
        );
        let (status, _) = status_json(
            app.http
                .get(format!("{root}/v1/oauth/token"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 404, "routes live only under the base path");
    }
);
