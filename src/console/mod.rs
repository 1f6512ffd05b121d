//! The web console (کنسول): server-rendered Persian pages for the people who work with asnad,
//! served by the same binary under `/console/`. Handlers are thin — parse, authorize, call one
//! use case in `services` (the same ones the API calls, with the same `Caller`), render an
//! askama template from `templates/console/` — and hold no business rule.
//!
//! - `session`: the cookie, the caller, CSRF; `assets`: embedded static files under hashed URLs;
//!   `format`: rials, Jalali dates and months for the view models.
//! - `pages`: sign-in, sign-out, the one-time password change, home; `queue`: the reviewer's
//!   queue and its CSV; `claims`: the claim page; `review`: the reviewer's work on it (take,
//!   release, preview and save a decision, the electronic file's documents); `preauth`: the
//!   medical advisor's pre-authorization inbox and decisions; `objections`: the review office's
//!   objections and their decisions; `supervision`: the supervisor's four-eyes inbox, samples,
//!   backlog and assignment; `reimbursements`: reimbursement requests (list, filing on behalf of
//!   an insured person, scans, submit, decide, approve); `finance`: finance's advances,
//!   settlement runs, remittances (`remittance`: the printable document the API serves too),
//!   payment orders, overdue settlements and reconciliation; `me`: the insured person's
//!   documents and "I did not receive this"; `me_reimbursements`: their own reimbursement
//!   requests; `provider`: the provider's portal; `upload`: the one multipart reader.
//!
//! See `docs/CONSOLE.md` for the decisions and how to add a page.

pub mod admin;
pub mod admin_budgets;
pub mod admin_contracts;
pub mod assets;
pub mod charts;
pub mod claims;
pub mod finance;
pub mod format;
pub mod listing;
pub mod me;
pub mod me_reimbursements;
pub mod objections;
pub mod pages;
pub mod preauth;
pub mod provider;
pub mod queue;
pub mod reimbursements;
pub mod remittance;
pub mod reports;
pub mod review;
pub mod session;
pub mod supervision;
pub mod upload;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::{Caller, Role};
use crate::error::AppError;

/// Registers the console's routes (the API's route table, `app::routes()`, stays the API's).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::root))
        .route("/console", web::get().to(pages::root))
        .route("/console/", web::get().to(pages::home))
        .route("/console/static/{file}", web::get().to(assets::serve))
        .route("/console/static/{file}", web::head().to(assets::serve))
        .route("/console/login", web::get().to(pages::login_form))
        .route("/console/login", web::post().to(pages::login))
        .route("/console/logout", web::post().to(pages::logout))
        .route("/console/password", web::get().to(pages::password_form))
        .route("/console/password", web::post().to(pages::change_password))
        .route("/console/queue", web::get().to(queue::page))
        .route("/console/queue.csv", web::get().to(queue::csv))
        .route("/console/claims/{id}", web::get().to(claims::page))
        .route("/console/claims/{id}/take", web::post().to(review::take))
        .route("/console/claims/{id}/release", web::post().to(review::release))
        .route("/console/claims/{id}/preview", web::post().to(review::preview))
        .route("/console/claims/{id}/decision", web::post().to(review::decide))
        .route("/console/claims/{id}/files/{attachment_id}", web::get().to(review::file))
        // The medical advisor's pre-authorization inbox and the review office's objections.
        .route("/console/preauthorizations", web::get().to(preauth::inbox))
        .route("/console/preauthorizations.csv", web::get().to(preauth::csv))
        .route("/console/preauthorizations/{id}", web::get().to(preauth::page))
        .route("/console/preauthorizations/{id}/decision", web::post().to(preauth::decide))
        .route("/console/preauthorizations/{id}/files/{attachment_id}", web::get().to(preauth::file))
        .route("/console/objections", web::get().to(objections::list))
        .route("/console/objections.csv", web::get().to(objections::csv))
        .route("/console/objections/{id}", web::get().to(objections::page))
        .route("/console/objections/{id}/decision", web::post().to(objections::decide))
        .route("/console/objections/{id}/files/{attachment_id}", web::get().to(objections::file))
        // The supervisor's screens (console::supervision): the four-eyes inbox, samples,
        // the backlog, and assigning a claim to a reviewer.
        .route("/console/approvals", web::get().to(supervision::inbox))
        .route("/console/approvals/{id}", web::get().to(supervision::decision))
        .route("/console/approvals/{id}/approve", web::post().to(supervision::approve))
        .route("/console/approvals/{id}/return", web::post().to(supervision::return_decision))
        .route("/console/samples", web::get().to(supervision::samples))
        .route("/console/samples", web::post().to(supervision::create_sample))
        .route("/console/samples/{id}", web::get().to(supervision::sample))
        .route("/console/samples/{id}/extrapolate", web::post().to(supervision::extrapolate))
        .route("/console/samples/{id}/close", web::post().to(supervision::close))
        .route("/console/backlog", web::get().to(supervision::backlog))
        .route("/console/claims/{id}/assign", web::post().to(supervision::assign))
        // Reimbursements (بازپرداخت): the office's list, filing on behalf of an insured person,
        // documents, submission, decision and approval (`console::reimbursements`).
        .route("/console/reimbursements", web::get().to(reimbursements::list))
        .route("/console/reimbursements", web::post().to(reimbursements::file))
        .route("/console/reimbursements/new", web::get().to(reimbursements::new_form))
        .route("/console/reimbursements/{id}", web::get().to(reimbursements::page))
        .route("/console/reimbursements/{id}/files", web::post().to(reimbursements::upload))
        .route("/console/reimbursements/{id}/files/{attachment_id}", web::get().to(reimbursements::document))
        .route("/console/reimbursements/{id}/submit", web::post().to(reimbursements::submit))
        .route("/console/reimbursements/{id}/decision", web::post().to(reimbursements::decide))
        .route("/console/reimbursements/{id}/approval", web::post().to(reimbursements::approve))
        // Finance (امور مالی, `console::finance`): advances, settlement runs with a preview, the
        // settlements and their remittances, payment orders, overdue settlements, reconciliation.
        .route("/console/finance/advances", web::get().to(finance::advances))
        .route("/console/finance/advances/{id}/payment", web::post().to(finance::pay_advance))
        .route("/console/finance/runs", web::get().to(finance::run_form))
        .route("/console/finance/runs", web::post().to(finance::run))
        .route("/console/finance/settlements", web::get().to(finance::settlements))
        .route("/console/finance/settlements/{id}", web::get().to(finance::remittance))
        .route("/console/finance/settlements/{id}/remittance.csv", web::get().to(finance::remittance_csv))
        .route("/console/finance/orders", web::get().to(finance::orders))
        .route("/console/finance/orders", web::post().to(finance::issue_order))
        .route("/console/finance/orders/{id}", web::get().to(finance::order))
        .route("/console/finance/orders/{id}/bank-file.csv", web::get().to(finance::bank_file))
        .route("/console/finance/orders/{id}/paid", web::post().to(finance::pay_order))
        .route("/console/finance/overdue", web::get().to(finance::overdue))
        .route("/console/finance/reconciliation", web::get().to(finance::reconciliation))
        // Administration (console::admin, console::admin_contracts): offices, providers and
        // their contracts, users and API keys, tariffs, the audit trail's verification.
        .route("/console/admin/offices", web::get().to(admin::offices))
        .route("/console/admin/offices", web::post().to(admin::create_office))
        .route("/console/admin/offices/{id}", web::get().to(admin::office))
        .route("/console/admin/offices/{id}", web::post().to(admin::update_office))
        .route("/console/admin/providers", web::get().to(admin::providers))
        .route("/console/admin/providers", web::post().to(admin::create_provider))
        .route("/console/admin/providers/new", web::get().to(admin::new_provider))
        .route("/console/admin/providers/{id}", web::get().to(admin::provider))
        .route("/console/admin/providers/{id}", web::post().to(admin::update_provider))
        .route("/console/admin/providers/{id}/deactivate", web::post().to(admin::deactivate_provider))
        .route("/console/admin/providers/{id}/contracts/new", web::get().to(admin_contracts::new_form))
        .route("/console/admin/providers/{id}/contracts", web::post().to(admin_contracts::create))
        .route("/console/admin/contracts/{id}", web::get().to(admin_contracts::page))
        .route("/console/admin/contracts/{id}/amendments", web::post().to(admin_contracts::amend))
        .route("/console/admin/contracts/{id}/status", web::post().to(admin_contracts::change_status))
        .route("/console/admin/users", web::get().to(admin::users))
        .route("/console/admin/users", web::post().to(admin::create_user))
        .route("/console/admin/users/{id}", web::get().to(admin::user))
        .route("/console/admin/users/{id}", web::post().to(admin::update_user))
        .route("/console/admin/users/{id}/password", web::post().to(admin::reset_password))
        .route("/console/admin/api-keys", web::get().to(admin::keys))
        .route("/console/admin/api-keys", web::post().to(admin::create_key))
        .route("/console/admin/api-keys/{id}/revoke", web::post().to(admin::revoke_key))
        .route("/console/admin/tariffs", web::get().to(admin::tariffs))
        .route("/console/admin/tariffs/import", web::post().to(admin::import_tariff))
        .route("/console/admin/audit", web::get().to(admin::audit))
        // The insured person's portal (console::me): my documents, a document, "I did not
        // receive this"; and the office's reviewer resolving those reports.
        .route("/console/me/claims", web::get().to(me::list))
        .route("/console/me/claims/{id}", web::get().to(me::page))
        .route("/console/me/claims/{id}/not-received", web::post().to(me::not_received))
        .route("/console/claims/{id}/not-received/resolve", web::post().to(me::resolve))
        // The insured person's own reimbursement requests (console::me_reimbursements).
        .route("/console/me/reimbursements", web::get().to(me_reimbursements::list))
        .route("/console/me/reimbursements", web::post().to(me_reimbursements::file))
        .route("/console/me/reimbursements/new", web::get().to(me_reimbursements::new_form))
        .route("/console/me/reimbursements/{id}", web::get().to(me_reimbursements::page))
        .route("/console/me/reimbursements/{id}/files", web::post().to(me_reimbursements::upload))
        .route(
            "/console/me/reimbursements/{id}/files/{attachment_id}",
            web::get().to(me_reimbursements::document),
        )
        .route("/console/me/reimbursements/{id}/submit", web::post().to(me_reimbursements::submit))
        // The provider's portal (console::provider): remittances and deductions by month,
        // objections with documents, pre-authorization requests, the monthly list upload.
        .route("/console/provider/remittances", web::get().to(provider::remittances))
        .route("/console/provider/remittances/{id}", web::get().to(provider::remittance))
        .route("/console/provider/remittances/{id}/csv", web::get().to(provider::remittance_csv))
        .route("/console/provider/deductions", web::get().to(provider::deductions))
        .route("/console/provider/claims/{id}", web::get().to(provider::claim))
        .route("/console/provider/claims/{id}/objections", web::post().to(provider::object))
        .route("/console/provider/objections", web::get().to(provider::objections))
        .route("/console/provider/objections/{id}/files", web::post().to(provider::objection_upload))
        .route(
            "/console/provider/objections/{id}/files/{attachment_id}",
            web::get().to(provider::objection_file),
        )
        .route("/console/provider/preauthorizations", web::get().to(provider::preauths))
        .route("/console/provider/preauthorizations", web::post().to(provider::preauth_create))
        .route("/console/provider/preauthorizations/new", web::get().to(provider::preauth_new))
        .route("/console/provider/preauthorizations/{id}", web::get().to(provider::preauth))
        .route(
            "/console/provider/preauthorizations/{id}/files/{attachment_id}",
            web::get().to(provider::preauth_file),
        )
        .route("/console/provider/batches", web::get().to(provider::batches))
        .route("/console/provider/batches", web::post().to(provider::batch_upload))
        .route("/console/provider/batches/{id}", web::get().to(provider::batch))
        .route("/console/provider/batches/{id}/progress", web::get().to(provider::batch_poll))
        // Approved budgets (console::admin_budgets): the administrator's.
        .route("/console/admin/budgets", web::get().to(admin_budgets::list))
        .route("/console/admin/budgets", web::post().to(admin_budgets::create))
        .route("/console/admin/budgets/import", web::post().to(admin_budgets::import))
        .route("/console/admin/budgets/{id}", web::get().to(admin_budgets::edit))
        .route("/console/admin/budgets/{id}", web::post().to(admin_budgets::update))
        // Reports dashboards (console::reports): the office's, the province's or headquarters'
        // page by the caller's scope, and the CSV of its reports.
        .route("/console/reports", web::get().to(reports::page))
        .route("/console/reports/deductions.csv", web::get().to(reports::deductions_csv))
        .route("/console/reports/turnaround.csv", web::get().to(reports::turnaround_csv))
        .route("/console/reports/budget.csv", web::get().to(reports::budget_csv))
        .route("/console/reports/provider-quality.csv", web::get().to(reports::provider_quality_csv))
        .route("/console/reports/work-accidents.csv", web::get().to(reports::work_accidents_csv))
        // Anything else under /console is a console page that does not exist: an HTML 404,
        // not the API's problem+json.
        .route("/console/{rest:.*}", web::route().to(not_found))
        // The console's forms are small; a form that cannot be read is an error page too.
        .app_data(web::FormConfig::default().limit(16 * 1024).error_handler(|e, _| {
            ConsoleError::App(AppError::bad_request("invalid_form", format!("the form cannot be read: {e}")))
                .into()
        }));
}

async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ConsoleError> {
    Err(ConsoleError::App(AppError::NotFound(format!("no console page {} {}", req.method(), req.path()))))
}

/// What every page's frame shows: the title, who is signed in, the navigation of their role,
/// and the CSRF token for the forms in the frame (logout).
pub struct Layout {
    pub title: String,
    pub user: Option<UserBar>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
}

pub struct UserBar {
    pub name: String,
    pub role: &'static str,
}

pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

impl Layout {
    /// The frame of a signed-in page; `current` is the navigation entry to mark.
    pub fn signed(title: impl Into<String>, session: &session::Session, current: &str) -> Layout {
        Layout {
            title: title.into(),
            user: Some(UserBar {
                name: session.caller.display_name.clone(),
                role: session.caller.role.name_fa(),
            }),
            nav: nav_for(&session.caller, current),
            csrf: session.csrf.clone(),
        }
    }

    /// The frame of a page seen before signing in (login, errors).
    pub fn anonymous(title: impl Into<String>) -> Layout {
        Layout { title: title.into(), user: None, nav: Vec::new(), csrf: String::new() }
    }

    /// The hashed URL of an embedded static file.
    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }
}

/// The navigation of a role: the screens built so far that the role may open.
fn nav_for(caller: &Caller, current: &str) -> Vec<NavItem> {
    // A supervisor's desk: the queue and the supervisor's screens.
    if caller.role == Role::Supervisor {
        return [
            ("صف رسیدگی", "/console/queue", "queue"),
            ("اعتراض‌ها", "/console/objections", "objections"),
            ("بازپرداخت", "/console/reimbursements", "reimbursements"),
            ("تأیید دوم", "/console/approvals", "approvals"),
            ("نمونه‌گیری", "/console/samples", "samples"),
            ("انباشت کار", "/console/backlog", "backlog"),
            ("گزارش‌ها", "/console/reports", "reports"),
        ]
        .into_iter()
        .map(|(label, href, key)| NavItem { label, href, current: current == key })
        .collect();
    }
    // The administrator's screens; the tariff administrator's is the tariffs page.
    if caller.role == Role::Admin || caller.role == Role::TariffAdmin {
        let all: &[(&'static str, &'static str, &str)] = &[
            ("مراکز درمانی", "/console/admin/providers", "admin_providers"),
            ("دفاتر رسیدگی", "/console/admin/offices", "admin_offices"),
            ("کاربران", "/console/admin/users", "admin_users"),
            ("کلیدهای API", "/console/admin/api-keys", "admin_keys"),
            ("تعرفه‌ها", "/console/admin/tariffs", "admin_tariffs"),
            ("بودجه", "/console/admin/budgets", "admin_budgets"),
            ("ممیزی", "/console/admin/audit", "admin_audit"),
            ("گزارش‌ها", "/console/reports", "reports"),
        ];
        return all
            .iter()
            .filter(|(_, _, key)| caller.role == Role::Admin || *key == "admin_tariffs")
            .map(|(label, href, key)| NavItem { label, href, current: current == *key })
            .collect();
    }
    // A reviewer's home is the queue; a home entry would only lead there again.
    if is_reviewer(caller) {
        vec![
            NavItem { label: "صف رسیدگی", href: "/console/queue", current: current == "queue" },
            NavItem {
                label: "اعتراض‌ها", href: "/console/objections", current: current == "objections"
            },
            // The office's reviewers and supervisors file, decide and approve reimbursements.
            NavItem {
                label: "بازپرداخت",
                href: "/console/reimbursements",
                current: current == "reimbursements",
            },
            NavItem { label: "گزارش‌ها", href: "/console/reports", current: current == "reports" },
        ]
    } else if caller.role == Role::Finance {
        // Finance's desk, in the order of the month's work.
        [
            ("پیش‌پرداخت‌ها", "/console/finance/advances", "advances"),
            ("تسویه", "/console/finance/settlements", "settlements"),
            ("دستور پرداخت", "/console/finance/orders", "orders"),
            ("تسویه‌های معوق", "/console/finance/overdue", "overdue"),
            ("تطبیق", "/console/finance/reconciliation", "reconciliation"),
            ("گزارش‌ها", "/console/reports", "reports"),
        ]
        .into_iter()
        .map(|(label, href, key)| NavItem { label, href, current: current == key })
        .collect()
    } else if caller.role == Role::Provider {
        // A provider's portal: money first (what was paid and why not), then the work.
        [
            ("حواله‌ها", "/console/provider/remittances", "p-remit"),
            ("کسورات", "/console/provider/deductions", "p-deduct"),
            ("اعتراض‌ها", "/console/provider/objections", "p-objections"),
            ("تأیید قبلی", "/console/provider/preauthorizations", "p-preauth"),
            ("فهرست ماهانه", "/console/provider/batches", "p-batches"),
        ]
        .into_iter()
        .map(|(label, href, key)| NavItem { label, href, current: current == key })
        .collect()
    } else if caller.role == Role::Insured {
        // An insured person's portal: their documents (home leads there), their reimbursements.
        vec![
            NavItem { label: "اسناد من", href: "/console/me/claims", current: current == "me-claims" },
            NavItem {
                label: "بازپرداخت‌های من",
                href: "/console/me/reimbursements",
                current: current == "me-reimbursements",
            },
        ]
    } else if caller.role == Role::MedicalAdvisor {
        // The advisor's work is the inbox; the home page leads there.
        vec![NavItem {
            label: "درخواست‌های تأیید قبلی",
            href: "/console/preauthorizations",
            current: current == "preauth",
        }]
    } else if caller.role == Role::ProvinceManager || caller.role == Role::Headquarters {
        // The province's and the country's management read the reports (home leads there).
        vec![NavItem { label: "گزارش‌ها", href: "/console/reports", current: current == "reports" }]
    } else {
        vec![NavItem { label: "خانه", href: "/console/", current: current == "home" }]
    }
}

/// A posted form as its (name, value) pairs, in order: the decision forms repeat names per line
/// (`action.1`, `action.2`…), which a struct cannot declare.
pub type Pairs = web::Form<Vec<(String, String)>>;

/// The trimmed value of the form field `name` (empty when absent).
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
}

/// The roles of the review queue: the API's `Reviewers` (reviewer and supervisor).
pub fn is_reviewer(caller: &Caller) -> bool {
    <crate::auth::Reviewers as crate::auth::RoleSet>::ROLES.contains(&caller.role)
}

/// A rendered page with its status.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, ConsoleError> {
    let html = page.render().map_err(|e| AppError::internal(format!("template: {e}")))?;
    Ok(html_response(status, html))
}

fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // Pages show a person's data: never kept by a shared cache or the back-forward cache of
        // the next user of the same browser.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(html)
}

/// A redirect that turns the next request into a GET (after a form, to a page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum ConsoleError {
    /// No usable session: to the login page (back here afterwards, for a GET). `htmx`: the
    /// request came from htmx, which must be told to leave the page (`HX-Redirect`) rather
    /// than be handed a redirect it would follow and swap the login form into a table.
    SignIn { next: Option<String>, expired: bool, htmx: bool },
    /// A one-time password must be changed before anything else.
    PasswordChange,
    /// A state-changing request without this session's CSRF token: 403.
    Csrf,
    /// A use case's refusal, shown as a page with its detail and fields.
    App(AppError),
}

impl From<AppError> for ConsoleError {
    fn from(e: AppError) -> Self {
        ConsoleError::App(e)
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsoleError::SignIn { .. } => f.write_str("sign in required"),
            ConsoleError::PasswordChange => f.write_str("password change required"),
            ConsoleError::Csrf => f.write_str("missing or wrong CSRF token"),
            ConsoleError::App(e) => write!(f, "{e}"),
        }
    }
}

/// The error page: the problem's status, a Persian title and what to do, its `detail` and the
/// fields it names; never a cause or a stack.
#[derive(Template)]
#[template(path = "console/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub advice: &'static str,
    pub detail: String,
    pub fields: Vec<(String, String)>,
}

impl ErrorPage {
    pub fn of(e: &AppError) -> ErrorPage {
        let status = e.http_status();
        let (heading, advice) = match status {
            400 => ("درخواست نامعتبر است", "نشانی یا فرم را بررسی کنید و دوباره بفرستید."),
            403 => {
                ("اجازهٔ این کار را ندارید", "این صفحه برای نقش شما نیست. از منوی بالا به صفحه‌های خود بروید.")
            }
            404 => (
                "پیدا نشد",
                "چنین موردی نیست یا در حوزهٔ دسترسی شما نیست. نشانی را بررسی کنید یا به صف برگردید.",
            ),
            408 => ("ارسال بیش از حد طول کشید", "اتصال کند یا قطع شد. دوباره بفرستید؛ اگر فایل بزرگ است، فایل کوچک‌تری انتخاب کنید."),
            409 => ("با وضعیت کنونی سازگار نیست", "صفحه را تازه کنید تا وضعیت کنونی را ببینید."),
            413 => (
                "فایل بزرگ‌تر از حد مجاز است",
                "چیزی ذخیره نشد. به صفحهٔ قبل برگردید و فایل کوچک‌تری بفرستید؛ عکس را با کیفیت کمتر بگیرید یا PDF را فشرده کنید.",
            ),
            415 => ("این نوع فایل پذیرفته نمی‌شود", "عکس (JPEG یا PNG)، TIFF یا PDF بفرستید."),
            422 => ("ورودی نادرست است", "فیلدهای نام‌برده را اصلاح کنید و دوباره بفرستید."),
            429 => ("تلاش‌ها بیش از حد بوده است", "کمی صبر کنید و دوباره بکوشید."),
            503 => ("سامانه موقتاً در دسترس نیست", "چند لحظهٔ دیگر دوباره بکوشید."),
            _ => ("خطای داخلی", "خطا ثبت شد. دوباره بکوشید و اگر تکرار شد به پشتیبانی خبر دهید."),
        };
        let fields = match e {
            AppError::Validation(errors) => {
                errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect()
            }
            _ => Vec::new(),
        };
        ErrorPage { layout: Layout::anonymous(heading), status, heading, advice, detail: e.detail(), fields }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn { .. } | ConsoleError::PasswordChange => StatusCode::SEE_OTHER,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::App(e) => {
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::SignIn { next, expired, htmx } => {
                let mut location = String::from("/console/login");
                let mut params = Vec::new();
                if let Some(n) = next.as_deref().map(|n| session::safe_next(Some(n))) {
                    if n != "/console/" {
                        params.push(format!("next={}", urlencode(&n)));
                    }
                }
                if *expired {
                    params.push("expired=1".into());
                }
                if !params.is_empty() {
                    location.push('?');
                    location.push_str(&params.join("&"));
                }
                let mut res = if *htmx {
                    HttpResponse::Ok().insert_header(("HX-Redirect", location.as_str())).finish()
                } else {
                    see_other(&location)
                };
                if *expired {
                    let clear = session::set_cookie(session::SESSION_COOKIE, "", "/console", 0, false);
                    if let Ok(v) = header::HeaderValue::from_str(&clear) {
                        res.headers_mut().append(header::SET_COOKIE, v);
                    }
                }
                res
            }
            ConsoleError::PasswordChange => see_other("/console/password"),
            ConsoleError::Csrf => {
                let page = ErrorPage {
                    layout: Layout::anonymous("درخواست رد شد"),
                    status: 403,
                    heading: "درخواست رد شد",
                    advice: "فرم کهنه است یا از جای دیگری فرستاده شده. صفحه را دوباره باز کنید و فرم را از نو بفرستید.",
                    detail: "the form's CSRF token is missing or does not belong to this session".into(),
                    fields: vec![(session::CSRF_FIELD.into(), "is missing or wrong".into())],
                };
                render(StatusCode::FORBIDDEN, &page).unwrap_or_else(|_| HttpResponse::Forbidden().finish())
            }
            ConsoleError::App(e) => {
                if e.http_status() >= 500 {
                    tracing::error!(error = %e, "console request failed");
                }
                let status = self.status_code();
                let mut res = render(status, &ErrorPage::of(e))
                    .unwrap_or_else(|_| HttpResponse::build(status).finish());
                if let AppError::TooManyRequests { retry_after_seconds, .. } = e {
                    if let Ok(v) = header::HeaderValue::from_str(&retry_after_seconds.to_string()) {
                        res.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                }
                res
            }
        }
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The role's label, for pages that name it.
pub fn role_name(role: Role) -> &'static str {
    role.name_fa()
}
