//! Voucher e-mails through the outbox: a real SMTP server (aiosmtpd from
//! PyPI, in the test tools' virtual environment, started here), retries
//! while it is down, the spool folder when no SMTP server is configured,
//! and no duplicates.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use crate::{both_engines, common::*};

/// An aiosmtpd server storing messages in a maildir; killed on drop.
struct Smtp {
    child: Child,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Smtp {
    /// Starts aiosmtpd on `port` and waits until it accepts connections.
    async fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = Command::new(test_python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("$GALLEY_TEST_PYTHON -m aiosmtpd (scripts/test.sh installs it)");
        let mut child = child;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Smtp {
                    child,
                    maildir,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start; is it installed in $GALLEY_TEST_PYTHON's venv (scripts/test.sh does)?");
    }

    /// The messages received so far, oldest first.
    fn messages(&self) -> Vec<String> {
        read_all(&self.maildir.join("new"))
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The contents of the files in `dir` (not hidden ones), by name.
fn read_all(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'));
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Waits up to 20 s until `count()` reaches `expected`.
async fn wait_for(what: &str, mut count: impl FnMut() -> usize, expected: usize) {
    for _ in 0..200 {
        if count() >= expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {expected} {what}");
}

/// A server whose outbox sends through the SMTP server on `port`.
async fn app_with_smtp(engine: Engine, port: u16) -> TestApp {
    TestApp::spawn_with(engine, |c| {
        c.smtp_url = Some(galley::config::Redacted(format!("smtp://127.0.0.1:{port}")))
    })
    .await
}

/// The sample stock, a company with 5,000 INR, and its order `po` of two
/// vouchers to be e-mailed to receiver@shop.test.
async fn order_with_email(app: &TestApp, po: &str, notify_admin: bool) -> (Setup, Value) {
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "5000").await;
    let data = json!({"productId": 101, "quantity": 2, "denomination": "500", "poNumber": po,
                      "email": "receiver@shop.test", "notifyReceiverEmail": 1, "notifyAdminEmail": i32::from(notify_admin)});
    let (status, body) = app
        .api(
            &s.tokens.access,
            json!({"query": "plumProAPI.mutation.placeOrder", "variables": {"data": data}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (s, body)
}

both_engines!(
    voucher_emails_reach_a_real_smtp_server_once,
    |engine| async move {
        let port = free_port();
        let smtp = Smtp::start(port).await;
        let app = app_with_smtp(engine, port).await;
        let (s, _) = order_with_email(&app, "MAIL-1", false).await;
        wait_for("e-mail", || smtp.messages().len(), 1).await;
        let mail = &smtp.messages()[0];
        assert!(mail.contains("To: receiver@shop.test"), "{mail}");
        assert!(
            mail.contains("Subject: Your Cafe Coffee Day vouchers"),
            "{mail}"
        );
        assert!(
            mail.contains("multipart/alternative"),
            "text + HTML: {mail}"
        );
        assert!(
            mail.contains("CCD-500-0001") && mail.contains("CCD-500-0002") && mail.contains("1111"),
            "{mail}"
        );
        // Resend on request; then nothing more arrives.
        let (status, _) = app
        .api(&s.tokens.access, json!({"query": "plumProAPI.mutation.getOrderDetails", "variables": {"data": {"poNumber": "MAIL-1", "sendMailToReceiver": 1}}}))
        .await;
        assert_eq!(status, 200);
        wait_for("e-mails", || smtp.messages().len(), 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(smtp.messages().len(), 2, "no duplicates");
        let unsent: Vec<(i64,)> = sqlx::query_as("SELECT id FROM outbox WHERE sent_at IS NULL")
            .fetch_all(app.db.reader())
            .await
            .unwrap();
        assert!(unsent.is_empty());
    }
);

both_engines!(
    emails_wait_in_the_outbox_while_smtp_is_down,
    |engine| async move {
        let port = free_port();
        let app = app_with_smtp(engine, port).await;
        order_with_email(&app, "MAIL-2", false).await;
        let attempts = || async {
            let rows: Vec<(i64, Option<String>)> =
                sqlx::query_as("SELECT attempts, last_error FROM outbox")
                    .fetch_all(app.db.reader())
                    .await
                    .unwrap();
            rows
        };
        for _ in 0..100 {
            if attempts().await.first().is_some_and(|(a, _)| *a >= 1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let rows = attempts().await;
        assert!(
            rows[0].0 >= 1 && rows[0].1.is_some(),
            "a failed attempt is recorded: {rows:?}"
        );
        // The server comes up; the retry (about 2 s later on the server's clock)
        // delivers.
        let smtp = Smtp::start(port).await;
        app.clock.advance_secs(3);
        wait_for("e-mail after retry", || smtp.messages().len(), 1).await;
        assert_eq!(smtp.messages().len(), 1);
    }
);

both_engines!(
    without_smtp_emails_go_to_the_spool_folder,
    |engine| async move {
        let spool = tempfile::tempdir().unwrap();
        let spool_path = spool.path().display().to_string();
        let app = TestApp::spawn_with(engine, |c| c.spool_dir = spool_path.clone()).await;
        let (s, _) = order_with_email(&app, "MAIL-3", true).await;
        wait_for("spooled e-mails", || read_all(spool.path()).len(), 2).await;
        let mails = read_all(spool.path());
        let receiver = mails
            .iter()
            .find(|m| m.contains("To: receiver@shop.test"))
            .expect("receiver e-mail");
        assert!(receiver.contains("CCD-500-0001"), "{receiver}");
        let admin = mails
            .iter()
            .find(|m| m.contains(&format!("To: {}", s.email)))
            .expect("admin e-mail");
        assert!(
            admin.contains("Order") && admin.contains("MAIL-3"),
            "{admin}"
        );
        assert!(
            !admin.contains("CCD-500-0001"),
            "codes are not sent to admins"
        );
    }
);

both_engines!(a_crash_before_sending_loses_no_email, |engine| async move {
    use crate::concurrency::start_node_with;
    let smtp_port = free_port();
    // Every node points at an SMTP server that is down for now.
    let app = app_with_smtp(engine, smtp_port).await;
    let (node, base) = start_node_with(
        &app.test_db.url,
        &app.http,
        &[("GALLEY_SMTP_URL", &format!("smtp://127.0.0.1:{smtp_port}"))],
    )
    .await;
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "5000").await;
    let data = json!({"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "CRASH-1",
                      "email": "receiver@shop.test", "notifyReceiverEmail": 1});
    // The order is accepted by the child node...
    let (status, body) = api_on(
        &app.http,
        &base,
        &s.tokens.access,
        &json!({"query": "plumProAPI.mutation.placeOrder", "variables": {"data": data}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // ...which is killed (SIGKILL) before it could deliver the e-mail.
    drop(node);
    let pending: Vec<(i64,)> = sqlx::query_as("SELECT id FROM outbox WHERE sent_at IS NULL")
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "the e-mail waits in the outbox");
    // The SMTP server comes back; the surviving node delivers it, once.
    let smtp = Smtp::start(smtp_port).await;
    app.clock.advance_secs(120);
    wait_for("e-mail after the crash", || smtp.messages().len(), 1).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(smtp.messages().len(), 1, "sent once");
    assert!(smtp.messages()[0].contains("CCD-500-0001"));
});

both_engines!(
    link_emails_carry_the_link_and_are_not_kept_after_sending,
    |engine| async move {
        let port = free_port();
        let smtp = Smtp::start(port).await;
        let app = app_with_smtp(engine, port).await;
        let codes = "code,pin,validity\nMAILED-1,4321,2031-05-01\n";
        let s = app.stocked(&[SAMPLE_CATALOG], codes, "5000").await;
        let campaign = app
            .campaign(s.company_id, "Team <Thanks>", "500", "INR", &[101])
            .await;
        let expiry = app.expiry(7);
        // The e-mail shows the same day as `07 Dec 2026`.
        let t =
            time::OffsetDateTime::from_unix_timestamp(app.clock_ms() / 1000 + 7 * 86_400).unwrap();
        let (status, body) = app
            .api(
                &s.tokens.access,
                json!({"tag": "xoxo_link", "query": "xoxo_link.mutation.generateLinkEmail",
                       "variables": {"data": {"campaignId": campaign, "email_ids": "ann@team.test, bob@team.test", "link_expiry": expiry}}}),
            )
            .await;
        assert_eq!(status, 200);
        let links: Vec<String> = body["data"]["generateLink"]["links"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        assert_eq!(links.len(), 2);
        wait_for("link e-mails", || smtp.messages().len(), 2).await;
        let mails = smtp.messages();
        let day = format!(
            "{:02} {} {}",
            t.day(),
            &format!("{:?}", t.month())[..3],
            t.year()
        );
        for (address, link) in [("ann@team.test", &links[0]), ("bob@team.test", &links[1])] {
            let mail = mails
                .iter()
                .find(|m| m.contains(&format!("To: {address}")))
                .unwrap_or_else(|| panic!("no mail to {address}: {mails:?}"));
            assert!(mail.contains("Subject: Your 500.00 INR reward"), "{mail}");
            assert!(mail.contains("multipart/alternative"), "{mail}");
            assert!(
                mail.contains(link.as_str()),
                "the link is in the mail: {mail}"
            );
            assert!(
                mail.contains("Team <Thanks>"),
                "campaign name in the text part: {mail}"
            );
            assert!(
                mail.contains("Team &lt;Thanks&gt;"),
                "escaped in the HTML part: {mail}"
            );
            assert!(mail.contains(&day), "expiry {day}: {mail}");
        }
        // Once sent, the outbox keeps no link URL (a bearer secret).
        for _ in 0..50 {
            let (unsent,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
                    .fetch_one(app.db.reader())
                    .await
                    .unwrap();
            if unsent == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let payloads: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM outbox WHERE kind = 'link_email'")
                .fetch_all(app.db.reader())
                .await
                .unwrap();
        assert_eq!(payloads.len(), 2);
        for (payload,) in &payloads {
            assert!(!payload.contains("/r/"), "{payload}");
        }
        // Nor does any file of the SQLite database: the old row versions
        // are zeroed (secure_delete) and the write-ahead log is truncated.
        // (PostgreSQL keeps dead row versions until vacuum; the outbox row
        // itself is checked above on both engines.)
        if engine == Engine::Sqlite {
            let path = app.test_db.url.trim_start_matches("sqlite://").to_string();
            let codes: Vec<String> = links.iter().map(|l| code_of(l).to_string()).collect();
            let leaked = || {
                [path.clone(), format!("{path}-wal")].iter().any(|file| {
                    let bytes = std::fs::read(file).unwrap_or_default();
                    codes
                        .iter()
                        .any(|code| bytes.windows(code.len()).any(|w| w == code.as_bytes()))
                })
            };
            for _ in 0..50 {
                if !leaked() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(!leaked(), "a sent link's code is still in a database file");
        }

        // The recipient redeems and asks for the voucher by e-mail.
        let http = link_client();
        let csrf = link_csrf(&http, &links[0]).await;
        // Three addresses asked for at once: each gets its own message,
        // whatever the later requests write on the order.
        for (path, body) in [
            ("", "product_id=101"),
            ("/email", "email=ann%40team.test"),
            ("/email", "email=bo%40team.test"),
            ("/email", "email=cy%40team.test"),
        ] {
            let url = format!("{}{path}", links[0]);
            let (status, _) = post_link_form(&http, &url, &csrf, body).await;
            assert!((200..300).contains(&status) || status == 303, "{status}");
        }
        wait_for("voucher e-mails", || smtp.messages().len(), 5).await;
        let vouchers: Vec<String> = smtp
            .messages()
            .into_iter()
            .filter(|m| m.contains("MAILED-1"))
            .collect();
        assert_eq!(vouchers.len(), 3);
        for to in ["ann@team.test", "bo@team.test", "cy@team.test"] {
            let mine: Vec<_> = vouchers
                .iter()
                .filter(|m| m.contains(&format!("To: {to}")))
                .collect();
            assert_eq!(mine.len(), 1, "{to}: {vouchers:?}");
            assert!(mine[0].contains("4321"));
        }
    }
);
