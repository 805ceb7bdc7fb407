//! `POST /v1/oauth/token/{token_type}`: refresh rotation and replay
//! detection, client_credentials, client authentication, rotation of the
//! client secret, errors of RFC 6749 §5.2.

use serde_json::{json, Value};

use crate::{both_engines, common::*};

/// POSTs a form to the user token endpoint (Basic credentials of `client`).
async fn user_token(app: &TestApp, form: &[(&str, &str)], client: Option<&Client>) -> (u16, Value) {
    app.form("/v1/oauth/token/user", form, client).await
}

both_engines!(
    rfc9700_refresh_rotation_with_replay_detection,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;

        let (status, body) = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 2592000);
        let new_refresh = body["refresh_token"].as_str().unwrap().to_string();
        let new_access = body["access_token"].as_str().unwrap().to_string();
        assert!(new_refresh.starts_with("gly_rt_") && new_refresh != s.tokens.refresh);
        assert!(new_access.starts_with("gly_at_"));
        // Plum compatibility: expiries as strings of epoch milliseconds.
        let now = app.clock_ms();
        let access_expiry: i64 = body["access_token_expiry"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let refresh_expiry: i64 = body["refresh_token_expiry"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(access_expiry, now + 2_592_000_000);
        assert_eq!(refresh_expiry, now + 180 * 24 * 3600 * 1000);
        assert_eq!(app.validate(&new_access).await.0, 200);

        // RFC 9700 §4.14.2: the rotated token presented again is refused and the
        // whole family, including the tokens just issued, is revoked.
        let (status, body) = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(app.validate(&new_access).await.0, 401);
        assert_eq!(app.validate(&s.tokens.access).await.0, 401);
        let reply = app.refresh(&s.client, &new_refresh).await;
        assert_error(&reply, 400, "invalid_grant");
        let actions = galley::store::audit::actions(app.db.reader(), s.company_id)
            .await
            .unwrap();
        assert!(
            actions.contains(&"token.reuse_detected".to_string()),
            "{actions:?}"
        );
    }
);

both_engines!(
    refresh_chain_keeps_working_when_each_token_is_used_once,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let mut refresh = s.tokens.refresh.clone();
        for _ in 0..5 {
            let (status, body) = app.refresh(&s.client, &refresh).await;
            assert_eq!(status, 200, "{body}");
            refresh = body["refresh_token"].as_str().unwrap().to_string();
            assert_eq!(app.validate_reply(&body).await, 200);
        }
    }
);

both_engines!(
    refresh_accepts_form_bodies_and_basic_auth,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let (status, body) = user_token(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &s.tokens.refresh),
            ],
            Some(&s.client),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("gly_rt_"));
    }
);

both_engines!(
    reuse_interval_gives_a_concurrent_second_refresh_a_valid_pair,
    |engine| async move {
        let app = TestApp::spawn_with(engine, |c| c.refresh_reuse_interval = 30).await;
        let s = app.setup().await;
        // Both at the same moment (the case the interval is for).
        let ((first, a), (second, b)) = tokio::join!(
            app.refresh(&s.client, &s.tokens.refresh),
            app.refresh(&s.client, &s.tokens.refresh)
        );
        assert_eq!((first, second), (200, 200), "{a} {b}");
        assert_ne!(a["refresh_token"], b["refresh_token"]);
        assert_eq!(app.validate_reply(&a).await, 200);
        assert_eq!(app.validate_reply(&b).await, 200);

        // Past the interval, the same reuse is theft again.
        app.clock.advance_secs(31);
        let reply = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_error(&reply, 400, "invalid_grant");
        assert_eq!(app.validate_reply(&a).await, 401);
    }
);

both_engines!(
    refresh_token_of_another_client_is_refused_without_burning_it,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let other = app.client(s.company_id, "plum_pro_api").await;
        let reply = app.refresh(&other, &s.tokens.refresh).await;
        assert_error(&reply, 400, "invalid_grant");
        let (status, _) = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_eq!(status, 200, "the owner can still use it");
    }
);

both_engines!(
    expired_refresh_and_access_tokens_are_refused,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        app.clock.advance_secs(2_592_000 + 1);
        let reply = app.validate(&s.tokens.access).await;
        assert_error(&reply, 401, "invalid_token");
        app.clock.advance_secs(180 * 24 * 3600);
        let reply = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_error(&reply, 400, "invalid_grant");
        assert!(reply.1["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"));
    }
);

both_engines!(
    refresh_can_narrow_but_not_widen_scope,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let wide = json!({"grant_type": "refresh_token", "refresh_token": s.tokens.refresh, "client_id": s.client.id,
                      "client_secret": s.client.secret, "scope": "plum_pro_api,company_session"});
        let reply = app.token_json("user", wide).await;
        assert_error(&reply, 400, "invalid_scope");
        let narrow = json!({"grant_type": "refresh_token", "refresh_token": s.tokens.refresh, "client_id": s.client.id,
                        "client_secret": s.client.secret, "scope": "plum_pro_api"});
        let (status, body) = app.token_json("user", narrow).await;
        assert_eq!(
            status, 200,
            "a refused scope must not burn the token: {body}"
        );
        assert_eq!(body["scope"], "plum_pro_api");
    }
);

both_engines!(
    company_endpoint_requires_company_session_for_refresh,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let body = json!({"grant_type": "refresh_token", "refresh_token": s.tokens.refresh,
                      "client_id": s.client.id, "client_secret": s.client.secret});
        let reply = app.token_json("company", body).await;
        assert_error(&reply, 400, "invalid_grant");
        let company_tokens = app
            .admin_tokens(&s.client, &s.email, "company_session,plum_pro_api")
            .await;
        let (status, reply) = app.refresh(&s.client, &company_tokens.refresh).await;
        assert_eq!(status, 200, "{reply}");
        let body = json!({"grant_type": "refresh_token", "refresh_token": reply["refresh_token"],
                      "client_id": s.client.id, "client_secret": s.client.secret});
        let (status, reply) = app.token_json("company", body).await;
        assert_eq!(status, 200, "{reply}");
    }
);

both_engines!(
    client_credentials_issue_company_tokens_without_refresh,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, _) = app.company("Acme").await;
        let client = app.client(company_id, "plum_pro_api,xoxo_link").await;
        for path in ["/v1/oauth/token/user", "/v1/oauth/token/company"] {
            let (status, body) = app
                .form(path, &[("grant_type", "client_credentials")], Some(&client))
                .await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("refresh_token").is_none());
            assert_eq!(scope_set(&body), ["plum_pro_api", "xoxo_link"], "{body}");
            assert_eq!(app.validate_reply(&body).await, 200);
        }
        let (status, body) = user_token(
            &app,
            &[("grant_type", "client_credentials"), ("scope", "xoxo_link")],
            Some(&client),
        )
        .await;
        assert_eq!((status, body["scope"].as_str()), (200, Some("xoxo_link")));
        for scope in ["company_session", "admin", "plum_pro_api,root"] {
            let (status, body) = user_token(
                &app,
                &[("grant_type", "client_credentials"), ("scope", scope)],
                Some(&client),
            )
            .await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_scope")),
                "{scope}"
            );
        }
    }
);

both_engines!(
    grants_not_allowed_for_the_client_are_unauthorized_client,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Acme").await;
        let client = app
            .client_with(company_id, "plum_pro_api", "authorization_code")
            .await;
        let reply = user_token(&app, &[("grant_type", "client_credentials")], Some(&client)).await;
        assert_error(&reply, 400, "unauthorized_client");
        let tokens = app.admin_tokens(&client, &email, "plum_pro_api").await;
        assert!(
            tokens.refresh.is_empty(),
            "no refresh token without the grant"
        );
        let reply = app.refresh(&client, "gly_rt_presented-anyway").await;
        assert_error(&reply, 400, "unauthorized_client");
    }
);

both_engines!(
    client_authentication_failures_are_401_with_a_challenge,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let wrong = Client {
            id: s.client.id.clone(),
            secret: format!("{}x", s.client.secret),
        };
        let unknown = Client {
            id: "0123456789abcdef".into(),
            secret: s.client.secret.clone(),
        };
        for client in [&wrong, &unknown] {
            let response = app
                .http
                .post(app.url("/v1/oauth/token/user"))
                .basic_auth(&client.id, Some(&client.secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401);
            assert_eq!(
                response.headers()["www-authenticate"],
                "Basic realm=\"galley\""
            );
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"], "invalid_client");
        }
        let reply = app.refresh(&wrong, &s.tokens.refresh).await;
        assert_error(&reply, 401, "invalid_client");
        // No credentials at all.
        let reply = user_token(&app, &[("grant_type", "client_credentials")], None).await;
        assert_error(&reply, 401, "invalid_client");
        // Two methods at once (RFC 6749 §2.3).
        let reply = user_token(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &s.client.secret),
            ],
            Some(&s.client),
        )
        .await;
        assert_error(&reply, 400, "invalid_request");
    }
);

both_engines!(
    rotating_the_secret_stops_the_old_one_and_keeps_tokens,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let rotated = galley::domain::clients::rotate_secret(
            &app.db,
            &*app.clock,
            &galley::domain::Actor::Cli,
            &s.client.id,
        )
        .await
        .unwrap();
        assert_eq!(rotated.client_id, s.client.id, "client_id never changes");
        let (status, _) = app.refresh(&s.client, &s.tokens.refresh).await;
        assert_eq!(status, 401, "the old secret fails at once");
        assert_eq!(
            app.validate(&s.tokens.access).await.0,
            200,
            "issued tokens stay valid"
        );
        let fresh = Client {
            id: rotated.client_id,
            secret: rotated.client_secret,
        };
        let (status, body) = app.refresh(&fresh, &s.tokens.refresh).await;
        assert_eq!(status, 200, "{body}");
    }
);

both_engines!(grant_type_and_path_errors, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    for (grant, error) in [
        ("password", "unsupported_grant_type"),
        ("implicit", "unsupported_grant_type"),
    ] {
        let (status, body) = user_token(&app, &[("grant_type", grant)], Some(&s.client)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{grant}"
        );
    }
    let reply = user_token(&app, &[], Some(&s.client)).await;
    assert_error(&reply, 400, "invalid_request");
    let reply = app
        .form(
            "/v1/oauth/token/admin",
            &[("grant_type", "client_credentials")],
            Some(&s.client),
        )
        .await;
    assert_error(&reply, 404, "invalid_request");
    let reply = user_token(&app, &[("grant_type", "refresh_token")], Some(&s.client)).await;
    assert_error(&reply, 400, "invalid_request");
    assert!(reply.1["error_description"]
        .as_str()
        .unwrap()
        .contains("refresh_token"));
    let reply = user_token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "064be187f42e9238122ef9d7a985c8800dff3752"),
        ],
        Some(&s.client),
    )
    .await;
    assert_error(&reply, 400, "invalid_grant");
});

both_engines!(
    only_hashes_of_tokens_and_secrets_are_stored,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let (_, body) = app.refresh(&s.client, &s.tokens.refresh).await;
        let issued = [
            s.tokens.access.clone(),
            s.tokens.refresh.clone(),
            body["access_token"].as_str().unwrap().to_string(),
            body["refresh_token"].as_str().unwrap().to_string(),
        ];
        let stored = galley::store::tokens::all_hashes(app.db.reader())
            .await
            .unwrap();
        assert_eq!(stored.len(), 4);
        for token in &issued {
            assert!(!stored.contains(token));
            assert!(stored.contains(&galley::crypto::hash_secret(token)));
        }
        let client = galley::store::clients::find(app.db.reader(), &s.client.id)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(client.secret_hash, s.client.secret);
        assert_eq!(
            client.secret_hash,
            galley::crypto::hash_secret(&s.client.secret)
        );
    }
);

/// The `scope` of a reply as a sorted list: scopes are a set (RFC 6749
/// §3.3), their order carries nothing.
pub fn scope_set(body: &serde_json::Value) -> Vec<&str> {
    let mut scopes: Vec<&str> = body["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .collect();
    scopes.sort_unstable();
    scopes
}
