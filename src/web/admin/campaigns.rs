//! Campaigns: the company's Xoxo Link campaigns (status, value, products,
//! links by status); create one from the catalog, rename and describe it,
//! enable or disable it, delete it (the CLI's rules: not while links can
//! still be redeemed), and generate reward links — a quantity, or one
//! link per e-mail address pasted or uploaded (.txt or .csv) — through
//! the same domain functions as the CLI and the API, with the admin as the
//! actor of the audit record.
//!
//! # The batch's links, shown once
//! A link's URL is a bearer secret and Galley keeps only its hash, so the
//! URLs exist in one place: the response to the generation's POST. That
//! page lists them and carries the whole batch as a CSV in a `data:` link
//! (`<a download href="data:text/csv;base64,...">`), so the download needs
//! no second request and nothing is kept on the server to serve it. The
//! page is `no-store`; once it is left, the links are gone (generate a new
//! batch, or let these expire and be refunded). The form carries a random
//! `nonce`, counted once the batch is made, so that a reload or a second
//! click that re-posts the same form is refused instead of charging a
//! second batch.
//!
//! # Large batches
//! A batch of more than [`STREAM_ABOVE`] links is answered in two parts of
//! one response: first the page saying the batch is being generated, with
//! an indeterminate `<progress>`, flushed at once; then, when the one
//! transaction of the domain has committed (or failed), the result. The
//! stylesheet hides the progress once the result follows it (`:has`).
//!
//! May touch: `domain::campaigns` and `domain::links` (every change),
//! `domain::catalog` (offered values), `store::links`, `store::catalog`
//! and `store::rate_limits` (reads, the form's nonce), `crypto` (nonces),
//! `state`, the portal kit in `super`.

use axum::{
    body::Body,
    extract::{FromRequest, Multipart, Path, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use minijinja::{context, Value};
use serde::Deserialize;

use super::CsrfOnly;

use super::{kit, see_other, Portal};
use crate::{
    domain::{
        self,
        campaigns::{self, NewCampaign},
        links::{self, Generate, Settings},
    },
    state::AppState,
    store::{self, links::CampaignRow},
};

/// Batches above this many links get the two-part response.
pub const STREAM_ABOVE: i64 = 1_000;
/// Links listed on the result page (the CSV has them all).
const LISTED: usize = 200;
/// Most bytes of an uploaded address file.
const MAX_FILE_BYTES: usize = 512 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/campaigns", get(list).post(create))
        .route("/admin/campaigns/new", get(new_form))
        .route("/admin/campaigns/{id}", get(show))
        .route("/admin/campaigns/{id}/edit", post(edit))
        .route("/admin/campaigns/{id}/enable", post(enable))
        .route("/admin/campaigns/{id}/disable", post(disable))
        .route("/admin/campaigns/{id}/delete", post(delete))
        .route("/admin/campaigns/{id}/links", post(generate))
}

/// Counts of a campaign's links by status (as of `now`).
async fn link_counts(
    state: &AppState,
    company_id: i64,
    campaign_id: i64,
    now: i64,
) -> Result<Value, store::StoreError> {
    let rows = store::links::status_counts(state.db.reader(), company_id, campaign_id, now).await?;
    let (mut created, mut expired, mut redeemed, mut refunded) = (0, 0, 0, 0);
    for r in &rows {
        match r.status.as_str() {
            "created" => {
                created += r.links - r.past_expiry;
                expired += r.past_expiry;
            }
            "redeemed" => redeemed += r.links,
            "refunded" => refunded += r.links,
            _ => {}
        }
    }
    Ok(context! {
        created, expired, redeemed, refunded,
        total => created + expired + redeemed + refunded,
    })
}

fn campaign_value(c: &CampaignRow) -> Value {
    context! {
        id => c.id, name => c.name, description => c.description,
        denomination_minor => c.denomination_minor, currency => c.currency_code,
        country => c.country_name, country_code => c.country_code,
        enabled => c.enabled, created_at => c.created_at, product_count => c.product_count,
    }
}

/// `GET /admin/campaigns`.
async fn list(State(state): State<AppState>, portal: Portal, Query(q): Query<Done>) -> Response {
    let now = state.clock.now_ms();
    let read = async {
        let rows = store::links::company_campaigns(state.db.reader(), portal.company.id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for c in rows.iter().rev() {
            let products = store::catalog::of_campaign(state.db.reader(), c.id).await?;
            let names: Vec<_> = products.iter().map(|p| p.name.clone()).collect();
            let counts = link_counts(&state, portal.company.id, c.id, now).await?;
            out.push(context! { products => names, links => counts, ..campaign_value(c) });
        }
        Ok::<_, store::StoreError>(out)
    };
    let campaigns = match read.await {
        Ok(c) => c,
        Err(e) => return portal.failure(&state, e.into()),
    };
    portal.page(
        &state,
        StatusCode::OK,
        "admin/campaigns.html",
        context! { nav => "campaigns", campaigns, done => done_text(q.done.as_deref()) },
    )
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
    confirm: Option<String>,
}

fn done_text(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("The campaign is created and enabled."),
        "saved" => Some("The campaign is saved."),
        "enabled" => Some("The campaign is enabled: links can be generated."),
        "disabled" => {
            Some("The campaign is disabled: no new links; links already sent stay redeemable.")
        }
        "deleted" => Some("The campaign is deleted. Its past links stay in the reports."),
        _ => None,
    }
}

/// The create form's fields (`product` repeats, one per checked box).
#[derive(Debug, Default, Deserialize)]
struct NewForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    denomination: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    product: Vec<String>,
}

/// `GET /admin/campaigns/new`.
async fn new_form(State(state): State<AppState>, portal: Portal) -> Response {
    let form = NewForm {
        currency: portal.company.base_currency.clone(),
        country: "IN".into(),
        ..NewForm::default()
    };
    new_page(&state, &portal, StatusCode::OK, None, &form).await
}

async fn new_page(
    state: &AppState,
    portal: &Portal,
    status: StatusCode,
    error: Option<&str>,
    form: &NewForm,
) -> Response {
    let rows = match store::catalog::all(state.db.reader()).await {
        Ok(rows) => rows,
        Err(e) => return portal.failure(state, e.into()),
    };
    let products: Vec<_> = rows
        .iter()
        .map(|row| {
            let offers = domain::catalog::Product::from_row(row)
                .map(|p| p.offered_values().to_string())
                .unwrap_or_default();
            context! {
                id => row.id, name => row.name, currency => row.currency_code,
                country => row.country_name, offers,
                checked => form.product.iter().any(|p| p.trim() == row.id.to_string()),
            }
        })
        .collect();
    portal.page(
        state,
        status,
        "admin/campaign_new.html",
        context! {
            nav => "campaigns", error, products,
            form => context! {
                name => form.name, description => form.description, denomination => form.denomination,
                currency => form.currency, country => form.country,
            },
        },
    )
}

/// `POST /admin/campaigns`: create.
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    axum_extra::extract::Form(form): axum_extra::extract::Form<NewForm>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let mut product_ids = Vec::with_capacity(form.product.len());
    for p in &form.product {
        match p.trim().parse::<i64>() {
            Ok(id) => product_ids.push(id),
            Err(_) => {
                let message = "Choose the products from the list.";
                return new_page(
                    &state,
                    &portal,
                    StatusCode::BAD_REQUEST,
                    Some(message),
                    &form,
                )
                .await;
            }
        }
    }
    if product_ids.is_empty() {
        let message = "Choose at least one product.";
        return new_page(
            &state,
            &portal,
            StatusCode::BAD_REQUEST,
            Some(message),
            &form,
        )
        .await;
    }
    let new = NewCampaign {
        company_id: portal.company.id,
        name: form.name.clone(),
        denomination: form.denomination.trim().to_string(),
        currency: form.currency.trim().to_string(),
        country: form.country.trim().to_string(),
        product_ids,
    };
    match campaigns::create_described(
        &state.db,
        &*state.clock,
        &portal.actor(),
        new,
        &form.description,
    )
    .await
    {
        Ok(id) => see_other(&state, &format!("/admin/campaigns/{id}?done=created")),
        Err(domain::Error::Invalid(message)) => {
            new_page(
                &state,
                &portal,
                StatusCode::BAD_REQUEST,
                Some(&message),
                &form,
            )
            .await
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// Reads a campaign id from the path: the company's campaign, or the 404
/// page (another company's campaigns, deleted ones and garbage alike).
async fn own_campaign(
    state: &AppState,
    portal: &Portal,
    id: &str,
) -> Result<CampaignRow, Response> {
    let not_found = || portal.failure(state, domain::Error::NotFound("campaign"));
    let Ok(id) = id.trim().parse::<i64>() else {
        return Err(not_found());
    };
    match store::links::find_campaign(state.db.reader(), portal.company.id, id).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(not_found()),
        Err(e) => Err(portal.failure(state, e.into())),
    }
}

/// `GET /admin/campaigns/{id}`; `?confirm=delete` opens the deletion's
/// confirmation.
async fn show(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let campaign = match own_campaign(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let done = done_text(q.done.as_deref());
    let confirm = q.confirm.as_deref() == Some("delete");
    campaign_page(
        &state,
        &portal,
        StatusCode::OK,
        &campaign,
        None,
        done,
        confirm,
    )
    .await
}

async fn campaign_page(
    state: &AppState,
    portal: &Portal,
    status: StatusCode,
    campaign: &CampaignRow,
    error: Option<&str>,
    done: Option<&str>,
    confirm_delete: bool,
) -> Response {
    let now = state.clock.now_ms();
    let read = async {
        let products = store::catalog::of_campaign(state.db.reader(), campaign.id).await?;
        let counts = link_counts(state, portal.company.id, campaign.id, now).await?;
        Ok::<_, store::StoreError>((products, counts))
    };
    let (products, links) = match read.await {
        Ok(found) => found,
        Err(e) => return portal.failure(state, e.into()),
    };
    let products: Vec<_> = products
        .iter()
        .map(|p| context! { id => p.id, name => p.name })
        .collect();
    let default_expiry = crate::clock::day(now + 30 * kit::DAY_MS);
    portal.page(
        state,
        status,
        "admin/campaign.html",
        context! {
            nav => "campaigns", campaign => campaign_value(campaign), products, links,
            error, done, confirm_delete, default_expiry,
            nonce => crate::crypto::new_id(),
            max_links => state.config.max_links_per_request,
        },
    )
}

#[derive(Debug, Deserialize)]
struct EditForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// `POST /admin/campaigns/{id}/edit`: name and description.
async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let campaign = match own_campaign(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    match campaigns::edit(
        &state.db,
        &*state.clock,
        &portal.actor(),
        portal.company.id,
        campaign.id,
        &form.name,
        &form.description,
    )
    .await
    {
        Ok(()) => see_other(
            &state,
            &format!("/admin/campaigns/{}?done=saved", campaign.id),
        ),
        Err(domain::Error::Invalid(message)) => {
            let shown = CampaignRow {
                name: form.name,
                description: form.description,
                ..campaign
            };
            campaign_page(
                &state,
                &portal,
                StatusCode::BAD_REQUEST,
                &shown,
                Some(&message),
                None,
                false,
            )
            .await
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /admin/campaigns/{id}/enable`.
async fn enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    set_enabled(state, headers, portal, id, form, true).await
}

/// `POST /admin/campaigns/{id}/disable`.
async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    set_enabled(state, headers, portal, id, form, false).await
}

async fn set_enabled(
    state: AppState,
    headers: HeaderMap,
    portal: Portal,
    id: String,
    form: CsrfOnly,
    enabled: bool,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let campaign = match own_campaign(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    match campaigns::set_enabled(
        &state.db,
        &*state.clock,
        &portal.actor(),
        campaign.id,
        enabled,
    )
    .await
    {
        Ok(()) => {
            let done = if enabled { "enabled" } else { "disabled" };
            see_other(
                &state,
                &format!("/admin/campaigns/{}?done={done}", campaign.id),
            )
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /admin/campaigns/{id}/delete`.
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let campaign = match own_campaign(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    match campaigns::delete(&state.db, &*state.clock, &portal.actor(), campaign.id).await {
        Ok(()) => see_other(&state, "/admin/campaigns?done=deleted"),
        Err(domain::Error::Invalid(message)) => {
            campaign_page(
                &state,
                &portal,
                StatusCode::CONFLICT,
                &campaign,
                Some(&message),
                None,
                false,
            )
            .await
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// The generation form, posted as `application/x-www-form-urlencoded`
/// (quantity) or `multipart/form-data` (addresses, maybe a file).
#[derive(Debug, Default, Deserialize)]
struct GenerateForm {
    csrf: Option<String>,
    nonce: Option<String>,
    #[serde(default)]
    expiry: String,
    quantity: Option<String>,
    emails: Option<String>,
    /// The uploaded file's text (multipart only).
    #[serde(skip)]
    file: Option<String>,
}

impl GenerateForm {
    /// Reads a multipart form; a message for what cannot be read.
    async fn from_multipart(mut multipart: Multipart) -> Result<Self, String> {
        let mut form = GenerateForm::default();
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            format!("The form could not be read: {}", e.body_text())
        };
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                let bytes = field.bytes().await.map_err(unreadable)?;
                if bytes.len() > MAX_FILE_BYTES {
                    return Err(format!(
                        "The file is too large: at most {} KB.",
                        MAX_FILE_BYTES / 1024
                    ));
                }
                if !bytes.is_empty() {
                    let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                        "The file must be a .txt or .csv text file (UTF-8).".to_string()
                    })?;
                    form.file = Some(text);
                }
                continue;
            }
            let text = field.text().await.map_err(unreadable)?;
            match name.as_str() {
                "csrf" => form.csrf = Some(text),
                "nonce" => form.nonce = Some(text),
                "expiry" => form.expiry = text,
                "quantity" => form.quantity = Some(text),
                "emails" => form.emails = Some(text),
                _ => {}
            }
        }
        Ok(form)
    }

    /// The recipients: the addresses pasted and those found in the file
    /// (cells containing `@` of any line; separators: new lines, commas,
    /// semicolons, tabs, spaces), comma-separated for the domain; `None`
    /// when there are none (a quantity batch).
    fn recipients(&self) -> Option<String> {
        let mut all = Vec::new();
        for text in [self.emails.as_deref(), self.file.as_deref()]
            .into_iter()
            .flatten()
        {
            let cells = text
                .split(['\n', '\r', ',', ';', '\t', ' '])
                .map(|c| c.trim().trim_matches('"').trim())
                .filter(|c| !c.is_empty());
            all.extend(cells.filter(|c| c.contains('@')).map(str::to_string));
        }
        (!all.is_empty()).then(|| all.join(","))
    }

    /// Whether addresses were given at all (a file or pasted text with no
    /// address in it is an error, not a quantity batch).
    fn wants_emails(&self) -> bool {
        self.file.is_some() || self.emails.as_deref().is_some_and(|e| !e.trim().is_empty())
    }
}

/// `YYYY-MM-DD` (the date input) as the domain's `DD-MM-YYYY`, and the
/// end of that day (ms).
fn expiry_text(date: &str) -> Result<(String, i64), String> {
    let bad = || "“Links expire on” must be a date such as 2026-12-31.".to_string();
    let ms = crate::clock::parse_day(date).ok_or_else(bad)?;
    let day = crate::clock::day(ms);
    let mut parts = day.split('-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) if y.len() == 4 => {
            Ok((format!("{d}-{m}-{y}"), ms + kit::DAY_MS))
        }
        _ => Err(bad()),
    }
}

/// `POST /admin/campaigns/{id}/links`: generate a batch and show it once.
async fn generate(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let form = if multipart {
        match Multipart::from_request(request, &state).await {
            Ok(m) => GenerateForm::from_multipart(m).await,
            Err(e) => Err(format!("The form could not be read: {}", e.body_text())),
        }
    } else {
        match Form::<GenerateForm>::from_request(request, &state).await {
            Ok(Form(f)) => Ok(f),
            Err(e) => Err(format!("The form could not be read: {}", e.body_text())),
        }
    };
    // The CSRF check comes first, even for a form that cannot be read.
    let csrf = form.as_ref().ok().and_then(|f| f.csrf.clone());
    if let Err(refused) = portal.check_csrf(&state, &headers, csrf.as_deref()) {
        return refused;
    }
    let campaign = match own_campaign(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    macro_rules! refuse {
        ($message:expr) => {
            return campaign_page(
                &state,
                &portal,
                StatusCode::BAD_REQUEST,
                &campaign,
                Some($message),
                None,
                false,
            )
            .await
        };
    }
    let form = match form {
        Ok(f) => f,
        Err(message) => refuse!(&message),
    };
    let (expiry, expires_at) = match expiry_text(&form.expiry) {
        Ok(e) => e,
        Err(message) => refuse!(&message),
    };
    let emails = form.recipients();
    if form.wants_emails() && emails.is_none() {
        refuse!("No e-mail address was found in what you entered or uploaded.");
    }
    let quantity = match (&emails, form.quantity.as_deref().map(str::trim)) {
        (Some(list), _) => list.split(',').count() as i64,
        (None, Some(q)) => match q.parse::<i64>() {
            Ok(n) if (1..=state.config.max_links_per_request).contains(&n) => n,
            _ => {
                let message = format!(
                    "“Number of links” must be a whole number from 1 to {}.",
                    state.config.max_links_per_request
                );
                refuse!(&message);
            }
        },
        (None, None) => refuse!("Enter a number of links or e-mail addresses."),
    };
    let Some(nonce) = form
        .nonce
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.len() <= 64)
    else {
        refuse!("This form has expired. Reload the page and try again.");
    };
    let now = state.clock.now_ms();
    let bucket = format!("portal-batch:{}:{nonce}", portal.admin.id);
    let window = now.div_euclid(kit::DAY_MS) * kit::DAY_MS;
    match store::rate_limits::hits(&state.db, &bucket, window).await {
        Ok(0) => {}
        Ok(_) => {
            return portal.message(
                &state,
                StatusCode::CONFLICT,
                "This form was already sent and its batch was made; its links were shown then. Open the campaign to generate another batch.",
            )
        }
        Err(e) => return portal.failure(&state, e.into()),
    }
    let request = Generate {
        campaign_id: campaign.id,
        quantity,
        emails,
        expiry,
        client_id: portal.actor().to_string(),
    };
    let job = Job {
        state: state.clone(),
        portal,
        campaign,
        request,
        quantity,
        expires_at,
        bucket,
        window,
    };
    if quantity > STREAM_ABOVE {
        return job.streamed();
    }
    job.run().await
}

/// One generation, answered whole or in two parts.
struct Job {
    state: AppState,
    portal: Portal,
    campaign: CampaignRow,
    request: Generate,
    quantity: i64,
    expires_at: i64,
    bucket: String,
    window: i64,
}

impl Job {
    /// Generates; the result page's context, or the failure.
    async fn generate(&self) -> Result<Value, domain::Error> {
        let state = &self.state;
        let settings = Settings::from_config(&state.config);
        let emailed = self.request.emails.is_some();
        let generated = links::generate_as(
            &state.db,
            &*state.clock,
            &settings,
            self.portal.company.id,
            &self.portal.actor(),
            self.request.clone(),
        )
        .await?;
        // The batch is made: this form may not make another.
        if let Err(e) = store::rate_limits::hit(&state.db, &self.bucket, self.window).await {
            tracing::warn!(error = %e, "portal: could not count a generation form's nonce");
        }
        let expires_at = self.expires_at;
        let recipients: Vec<String> = self
            .request
            .emails
            .as_deref()
            .map(|e| e.split(',').map(|a| a.trim().to_lowercase()).collect())
            .unwrap_or_default();
        let csv =
            batch_csv(&generated, &recipients, expires_at).map_err(domain::Error::Internal)?;
        let rows: Vec<_> = generated
            .urls
            .iter()
            .enumerate()
            .take(LISTED)
            .map(|(i, url)| context! { n => i + 1, url, email => recipients.get(i) })
            .collect();
        Ok(context! {
            nav => "campaigns", campaign => campaign_value(&self.campaign),
            batch_id => generated.batch_id, count => generated.urls.len(), rows, listed => LISTED,
            charged => generated.charged.to_string(), emailed, expires_at,
            csv_href => format!("data:text/csv;charset=utf-8;base64,{}", STANDARD.encode(csv)),
            csv_name => format!("links-batch-{}.csv", generated.batch_id),
        })
    }

    /// The whole answer at once.
    async fn run(self) -> Response {
        match self.generate().await {
            Ok(ctx) => self.portal.page(
                &self.state,
                StatusCode::OK,
                "admin/campaign_batch.html",
                ctx,
            ),
            Err(e) => self.failed(e).await,
        }
    }

    async fn failed(&self, e: domain::Error) -> Response {
        match e {
            domain::Error::Invalid(message) => {
                campaign_page(
                    &self.state,
                    &self.portal,
                    StatusCode::BAD_REQUEST,
                    &self.campaign,
                    Some(&message),
                    None,
                    false,
                )
                .await
            }
            e => self.portal.failure(&self.state, e),
        }
    }

    /// The progress page now, the result when the batch is made.
    fn streamed(self) -> Response {
        const SPLIT: &str = "<!--galley:rest-->";
        let waiting = self.portal.page(
            &self.state,
            StatusCode::OK,
            "admin/campaign_generating.html",
            context! {
                nav => "campaigns", campaign => campaign_value(&self.campaign),
                quantity => self.quantity,
            },
        );
        let (parts, body) = waiting.into_parts();
        if parts.status != StatusCode::OK {
            return Response::from_parts(parts, body);
        }
        let stream = futures_util::stream::unfold(Some((self, body, 0u8)), |step| async move {
            let (job, body, part) = step?;
            match part {
                0 => {
                    let html = match axum::body::to_bytes(body, usize::MAX).await {
                        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                        Err(_) => String::new(),
                    };
                    let (head, tail) = html.split_once(SPLIT).unwrap_or((&html, ""));
                    let (head, tail) = (head.to_string(), tail.to_string());
                    let next = Some((job, Body::from(tail), 1));
                    Some((Ok::<_, std::convert::Infallible>(head), next))
                }
                _ => {
                    let tail = match axum::body::to_bytes(body, usize::MAX).await {
                        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                        Err(_) => String::new(),
                    };
                    let base_path = job.state.config.public_url.base_path().to_string();
                    let ctx = match job.generate().await {
                        Ok(ctx) => context! { base_path, done => true, ..ctx },
                        Err(domain::Error::Invalid(message)) => {
                            context! { base_path, failed => message, campaign => campaign_value(&job.campaign) }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "portal: link generation failed");
                            context! {
                                base_path, campaign => campaign_value(&job.campaign),
                                failed => "Something went wrong on our side; no links were made and nothing was charged. Please try again later.",
                            }
                        }
                    };
                    let html = job
                        .state
                        .templates
                        .render("admin/campaign_batch_body.html", ctx)
                        .unwrap_or_else(|e| {
                            tracing::error!(error = %e, "template failed");
                            "<p class=\"error\">Something went wrong.</p>".into()
                        });
                    Some((Ok(format!("{html}{tail}")), None))
                }
            }
        });
        let mut response = Response::from_parts(parts, Body::from_stream(stream));
        response.headers_mut().remove(header::CONTENT_LENGTH);
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

/// The batch as CSV: one line per link, in order.
fn batch_csv(
    generated: &links::Generated,
    recipients: &[String],
    expires_at: i64,
) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["batch_id", "n", "url", "email", "campaign", "expires_after"])?;
    let last_day = crate::pages::filters::last_day(expires_at);
    for (i, url) in generated.urls.iter().enumerate() {
        out.write_record([
            generated.batch_id.to_string(),
            (i + 1).to_string(),
            url.clone(),
            kit::csv_cell(recipients.get(i).map(String::as_str).unwrap_or_default()),
            kit::csv_cell(&generated.campaign.name),
            last_day.clone(),
        ])?;
    }
    out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_pasted_text_and_files() {
        let form = GenerateForm {
            emails: Some("a@x.com\nb@y.org, ".into()),
            file: Some("name,email\r\nAnn,\"c@z.net\"\nBob;d@w.io\n".into()),
            ..GenerateForm::default()
        };
        assert_eq!(
            form.recipients().as_deref(),
            Some("a@x.com,b@y.org,c@z.net,d@w.io")
        );
        let empty = GenerateForm {
            file: Some("name\nAnn\n".into()),
            ..GenerateForm::default()
        };
        assert!(empty.wants_emails() && empty.recipients().is_none());
    }

    #[test]
    fn the_date_input_becomes_the_domains_expiry() {
        assert_eq!(expiry_text("2026-12-31").unwrap().0, "31-12-2026");
        assert!(expiry_text("31-12-2026").is_err());
        assert!(expiry_text("9999999-01-01").is_err());
    }
}
