//! The insured person's portal (درگاه بیمه‌شده): every claim a provider billed in their name or in
//! their dependants', line by line in plain Persian — what was billed, what the Organization
//! paid, what they paid and why — and "I did not receive this service" (این خدمت را دریافت
//! نکرده‌ام) on a line or a whole document.
//!
//! Only an insured person's own login reads these (`Role::Insured`; every other role 403: staff
//! read claims through `services::claims`, a provider its own). The family is
//! `store::scope::insured_family_claims`: a main insured reads their dependants' claims, a
//! dependant only their own; any other claim is 404. (The insured's `Scope` for claims stays
//! empty: the other claim routes — history, objections, attachments — are staff's and
//! providers'.)
//!
//! A flag is stored, audited, and puts the claim into its office's review queue (an open flag
//! is a queue condition of its own, `store::review`; reason R93) without touching the claim's
//! status or amounts: it is a report to look into, not a decision. The office is told through
//! the outbox (kind [`NOTIFICATION_KIND`]).

use crate::domain::record_ids::{ClaimId, InsuredId, OfficeId, ProviderId, ServiceFlagId};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::domain::adjudication::{ClaimKind, Setting};
use crate::domain::jalali::JalaliDate;
use crate::domain::lifecycle::claim::ClaimStatus;
use crate::domain::out_of_pocket::WhoPays;
use crate::domain::reasons::{Group, Reason};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::claims::{self as claims_store, ClaimRow};
use crate::store::service_flags::{self as store, FlagRow, WHOLE_DOCUMENT};

/// The outbox kind of the office's notification of a flag. Payload: `claim_id`,
/// `provider_document_no`, `provider_id`, `provider_name`, `office_id`, `flag_id`, `line_no`
/// (null for the whole document), `code` (the line's service code, null for the document),
/// `note`, `flagged_at` (RFC 3339, UTC). Recipient: the office (`office`, its id) when it has an
/// e-mail address, else each active supervisor of the office (`user`, their user id).
pub const NOTIFICATION_KIND: &str = "service_not_received";

/// The longest note a flag carries: a short note, not a letter.
pub const NOTE_MAX_CHARS: usize = 500;

fn insured_of(caller: &Caller) -> AppResult<InsuredId> {
    if caller.role != Role::Insured {
        return Err(AppError::forbidden(
            "this is an insured person's own view; staff and providers read claims at /api/v1/claims",
        ));
    }
    caller.insured_id.clone().ok_or_else(|| AppError::forbidden("the login is bound to no insured person"))
}

/// The person a claim's services were for.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Patient {
    /// National code (کد ملی), 10 digits.
    pub national_code: String,
    pub name: String,
    /// Null for the caller themselves; else the dependant's relation (`spouse`, `child`, `parent`).
    pub relation: Option<String>,
    /// «خودم», or the relation in Persian.
    pub relation_fa: String,
}

/// A claim's or a line's amounts by who bears them, rials:
/// `billed = organization_paid + insured_paid + provider_write_off` and
/// `insured_paid = franchise + gap + insured_deductions`.
#[derive(Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct WhoPaid {
    pub billed: i64,
    /// What the Organization pays the provider (سهم سازمان).
    pub organization_paid: i64,
    /// What the insured person pays (پرداختی بیمه‌شده).
    pub insured_paid: i64,
    /// Franchise (فرانشیز).
    pub franchise: i64,
    /// The private–government tariff gap (مابه‌التفاوت تعرفه).
    pub gap: i64,
    /// Deductions the insured bears (group PR: R06, R18, R20).
    pub insured_deductions: i64,
    /// Deductions the provider bears (CO) or a rejected document (RJ): the provider may not
    /// charge the insured for them.
    pub provider_write_off: i64,
}

impl From<WhoPays> for WhoPaid {
    fn from(w: WhoPays) -> Self {
        WhoPaid {
            billed: w.billed,
            organization_paid: w.organization,
            insured_paid: w.insured,
            franchise: w.franchise,
            gap: w.gap,
            insured_deductions: w.insured_deductions,
            provider_write_off: w.provider_write_off,
        }
    }
}

/// A deduction on a line, with who bears it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MyReason {
    #[schema(value_type = Reason)]
    pub code: String,
    pub group: Group,
    pub amount: i64,
    /// The reason in Persian, from the catalogue.
    pub message_fa: &'static str,
    /// Who bears it, in Persian («به عهدهٔ بیمه‌شده», «به عهدهٔ ارائه‌دهنده»).
    pub bearer_fa: &'static str,
    /// Whether the insured pays it (group PR).
    pub insured_pays: bool,
}

/// An insured person's report that a service was not received.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub id: ServiceFlagId,
    pub claim_id: ClaimId,
    /// The line; null for the whole document.
    pub line_no: Option<i32>,
    pub note: String,
    #[schema(format = DateTime)]
    pub flagged_at: String,
    /// A reviewer of the office has looked into it.
    pub resolved: bool,
}

fn flag_view(f: &FlagRow) -> FlagView {
    FlagView {
        id: f.id.clone(),
        claim_id: f.claim_id.clone(),
        line_no: (f.line_no != WHOLE_DOCUMENT).then_some(f.line_no),
        note: f.note.clone(),
        flagged_at: crate::clock::ts(f.created_at),
        resolved: f.resolved_at.is_some(),
    }
}

/// A line as the insured person reads it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MyLine {
    pub line_no: i32,
    #[schema(value_type = crate::domain::pricing::ItemType)]
    pub item_type: String,
    pub code: String,
    /// The service's, drug's or device's Persian name in the tariff in force today, if known.
    pub description_fa: Option<String>,
    /// A decimal written as a string.
    pub quantity: String,
    pub service_date: NaiveDate,
    /// `1403-07-15`.
    pub service_date_jalali: String,
    pub amounts: WhoPaid,
    /// The cost-sharing rule that set the franchise (`franchise:outpatient:30%`, `exempt:…`).
    pub cost_sharing_rule: Option<String>,
    pub reasons: Vec<MyReason>,
    /// The line explained in one Persian sentence (the API's claim explanation).
    pub explanation_fa: String,
    /// The insured's report on this line, if any.
    pub flag: Option<FlagView>,
}

/// A claim billed in the insured person's (or a dependant's) name.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MyClaim {
    pub id: ClaimId,
    pub provider_id: ProviderId,
    /// The provider's Persian name.
    pub provider_name: String,
    pub provider_document_no: String,
    pub patient: Patient,
    #[schema(value_type = crate::domain::adjudication::ClaimKind)]
    pub kind: String,
    pub kind_fa: &'static str,
    #[schema(value_type = crate::domain::adjudication::Setting)]
    pub setting: String,
    pub setting_fa: &'static str,
    pub status: ClaimStatus,
    pub status_fa: &'static str,
    /// Decided (approved, partially approved, rejected): the amounts are final. Otherwise they
    /// are the engine's and a reviewer may still change them.
    pub decided: bool,
    pub first_service_date: NaiveDate,
    pub first_service_date_jalali: String,
    #[schema(format = DateTime)]
    pub received_at: String,
    pub amounts: WhoPaid,
    /// The claim in one Persian sentence.
    pub summary_fa: String,
    pub lines: Vec<MyLine>,
    /// The insured's report on the whole document, if any.
    pub flag: Option<FlagView>,
    /// Every report on the claim (the document's and the lines').
    pub flags: Vec<FlagView>,
}

/// A page of the family's claims, newest received first.
pub struct MyClaimsPage {
    pub items: Vec<MyClaim>,
    /// All the family's claims (for the console's pager).
    pub total: i64,
}

/// Where a page starts: after a claim id (the API's cursor) or at an offset (the console's pages).
#[derive(Clone, Debug, Default)]
pub struct PageAt {
    pub before: Option<ClaimId>,
    pub offset: i64,
    pub limit: i64,
}

/// Reads what the views need besides the claims: names of providers and persons, cached per call.
struct Names {
    me: InsuredId,
    providers: HashMap<ProviderId, String>,
    persons: HashMap<InsuredId, Patient>,
}

impl Names {
    fn provider(&mut self, conn: &mut AnyConnection, id: &ProviderId) -> AppResult<String> {
        if let Some(n) = self.providers.get(id) {
            return Ok(n.clone());
        }
        let n = crate::store::providers::find_provider(conn, id)?
            .map(|p| p.name_fa)
            .unwrap_or_else(|| id.to_string());
        self.providers.insert(id.clone(), n.clone());
        Ok(n)
    }

    fn patient(&mut self, conn: &mut AnyConnection, c: &ClaimRow) -> AppResult<Patient> {
        let unknown = || Patient {
            national_code: c.insured_national_code.clone(),
            name: String::new(),
            relation: None,
            relation_fa: String::new(),
        };
        let Some(id) = &c.insured_id else { return Ok(unknown()) };
        if let Some(p) = self.persons.get(id) {
            return Ok(p.clone());
        }
        let Some(r) = crate::store::insured::find(conn, id)? else { return Ok(unknown()) };
        let p = patient_of(&self.me, r);
        self.persons.insert(id.clone(), p.clone());
        Ok(p)
    }
}

/// A person of the caller's family as the portal names them: «خودم» for the caller.
fn patient_of(me: &InsuredId, r: crate::store::insured::InsuredRow) -> Patient {
    let relation = if r.id == *me { None } else { r.relation.clone() };
    let relation_fa = match relation.as_deref() {
        None => "خودم",
        Some("spouse") => "همسر",
        Some("child") => "فرزند",
        Some("parent") => "پدر یا مادر",
        Some(_) => "افراد تحت تکفل",
    };
    Patient {
        national_code: r.national_code,
        name: format!("{} {}", r.first_name, r.last_name),
        relation,
        relation_fa: relation_fa.into(),
    }
}

/// An office an insured person may file a reimbursement request with.
pub struct FilingOffice {
    pub id: OfficeId,
    pub name_fa: String,
    pub province_fa: String,
}

/// What an insured person chooses from when filing a reimbursement request
/// (`services::reimbursements::file`): who was treated — themselves, or one of their dependants
/// — and the review office, with the office of their last request first in mind.
pub struct FilingChoices {
    /// The caller first, then their dependants. A dependant's login files for nobody: the main
    /// insured files (the use case's rule), so `may_file` is false and the family is theirs only.
    pub family: Vec<Patient>,
    pub may_file: bool,
    /// The caller's own national code: the request's main insured and the account's owner.
    pub national_code: String,
    /// Every active office, by province then name.
    pub offices: Vec<FilingOffice>,
    /// The office of the caller's latest request, if any (the form's default).
    pub last_office: Option<OfficeId>,
    /// The codes a person can name without a tariff book, as `(item type, code, Persian name)`:
    /// the visit fees of the tariff in force today and the travel lines. Other items are named
    /// by the code printed on the invoice.
    pub known_codes: Vec<(&'static str, String, String)>,
}

pub async fn filing_choices(state: &ServiceContext, caller: Caller) -> AppResult<FilingChoices> {
    let me = insured_of(&caller)?;
    let mut known_codes: Vec<(&'static str, String, String)> = Vec::new();
    if let Some(t) = state.tariffs().for_date(state.today()) {
        let mut visits: Vec<_> = t.visits.values().collect();
        visits.sort_by(|a, b| a.code.cmp(&b.code));
        known_codes.extend(visits.into_iter().map(|v| ("visit", v.code.clone(), v.description_fa.clone())));
    }
    known_codes.extend(
        crate::domain::reimbursement::TravelCode::ALL
            .into_iter()
            .map(|c| ("travel", c.as_str().to_string(), c.name_fa().to_string())),
    );
    state
        .db(move |conn| {
            let row = crate::store::insured::find(conn, &me)?
                .ok_or_else(|| AppError::forbidden("the login is bound to no insured person"))?;
            let may_file = row.main_insured_id.is_none();
            let national_code = row.national_code.clone();
            let mut family = vec![patient_of(&me, row)];
            if may_file {
                for d in crate::store::insured::dependants(conn, &me)? {
                    family.push(patient_of(&me, d));
                }
            }
            let provinces: HashMap<i32, String> =
                crate::store::offices::list_provinces(conn)?.into_iter().map(|p| (p.id, p.name_fa)).collect();
            let filter = crate::store::offices::OfficeFilter {
                province_id: None,
                active: Some(true),
                after: None,
                limit: 10_000,
            };
            let mut offices: Vec<FilingOffice> = crate::store::offices::list(conn, &filter)?
                .into_iter()
                .map(|o| FilingOffice {
                    province_fa: provinces.get(&o.province_id).cloned().unwrap_or_default(),
                    id: o.id,
                    name_fa: o.name_fa,
                })
                .collect();
            offices.sort_by(|a, b| (&a.province_fa, &a.name_fa).cmp(&(&b.province_fa, &b.name_fa)));
            let latest = crate::store::reimbursements::ReimbursementFilter {
                scope: caller.scope_for(crate::auth::Record::Reimbursement),
                insured_id: Some(me.clone()),
                newest_first: true,
                limit: 1,
                ..Default::default()
            };
            let last_office = crate::store::reimbursements::list(conn, &latest)?
                .into_iter()
                .next()
                .map(|r| r.office_id)
                .filter(|o| offices.iter().any(|x| x.id == *o));
            Ok(FilingChoices { family, may_file, national_code, offices, last_office, known_codes })
        })
        .await
}

fn my_claim(
    state_book: &dyn Fn(&str, &str) -> Option<String>,
    conn: &mut AnyConnection,
    names: &mut Names,
    c: ClaimRow,
    flags: &[FlagRow],
) -> AppResult<MyClaim> {
    let view = crate::services::claims::view(conn, c.clone())?;
    let explained = crate::services::claims::explain(&view);
    let flag_of =
        |line_no: i32| flags.iter().find(|f| f.claim_id == c.id && f.line_no == line_no).map(flag_view);
    let mut total = WhoPays::default();
    let lines: Vec<MyLine> = view
        .lines
        .iter()
        .map(|l| {
            let parts: Vec<(&str, i64)> = l.reasons.iter().map(|r| (r.code.as_str(), r.amount)).collect();
            let w = WhoPays::of_line(
                l.billed,
                l.insurer_payable,
                l.patient_share,
                l.patient_gap,
                l.deducted,
                &parts,
            );
            total = total.plus(w);
            MyLine {
                line_no: l.line_no,
                item_type: l.item_type.clone(),
                code: l.code.clone(),
                description_fa: state_book(&l.item_type, &l.code),
                quantity: l.approved_quantity.clone(),
                service_date: l.service_date,
                service_date_jalali: l.service_date_jalali.clone(),
                amounts: w.into(),
                cost_sharing_rule: l.cost_sharing_rule.clone(),
                reasons: l
                    .reasons
                    .iter()
                    .map(|r| MyReason {
                        code: r.code.clone(),
                        group: r.group,
                        amount: r.amount,
                        message_fa: r.message_fa,
                        bearer_fa: r.group.bearer_fa(),
                        insured_pays: r.group == Group::InsuredResponsibility,
                    })
                    .collect(),
                explanation_fa: explained
                    .lines
                    .iter()
                    .find(|e| e.line_no == l.line_no)
                    .map(|e| e.fa.clone())
                    .unwrap_or_default(),
                flag: flag_of(l.line_no),
            }
        })
        .collect();
    let first = JalaliDate::from_gregorian(c.first_service_date);
    Ok(MyClaim {
        provider_name: names.provider(conn, &c.provider_id)?,
        patient: names.patient(conn, &c)?,
        kind_fa: ClaimKind::parse(&c.kind).map(|k| k.name_fa()).unwrap_or(""),
        setting_fa: Setting::parse(&c.setting).map(|s| s.name_fa()).unwrap_or(""),
        status_fa: c.status.name_fa(),
        decided: ClaimStatus::DECIDED.contains(&c.status),
        first_service_date_jalali: first.to_string(),
        received_at: crate::clock::ts(c.created_at),
        amounts: total.into(),
        summary_fa: explained.summary_fa,
        flag: flag_of(WHOLE_DOCUMENT),
        flags: flags.iter().filter(|f| f.claim_id == c.id).map(flag_view).collect(),
        lines,
        id: c.id,
        provider_id: c.provider_id,
        provider_document_no: c.provider_document_no,
        kind: c.kind,
        setting: c.setting,
        status: c.status,
        first_service_date: c.first_service_date,
    })
}

/// The Persian name of a line's code in the tariff in force today.
pub fn describer(state: &ServiceContext) -> impl Fn(&str, &str) -> Option<String> + Send + 'static {
    let book = state.tariffs();
    let today = state.today();
    move |item_type: &str, code: &str| {
        use crate::domain::pricing::ItemType;
        if item_type == "travel" {
            return crate::domain::reimbursement::TravelCode::parse(code).map(|c| c.name_fa().to_string());
        }
        let t = book.for_date(today)?;
        match ItemType::parse(item_type)? {
            ItemType::Service => t.services.get(code).map(|s| s.description_fa.clone()),
            ItemType::Visit => t.visits.get(code).map(|v| v.description_fa.clone()),
            ItemType::Drug => t.drug(code).map(|d| format!("{} — {}", d.name, d.form)),
            ItemType::Device => t.devices.get(code).map(|d| d.name_fa.clone()),
            ItemType::BedDay => Some("تخت روز بستری".into()),
        }
    }
}

/// A page of the claims billed in the caller's and their dependants' names.
pub async fn my_claims(state: &ServiceContext, caller: Caller, at: PageAt) -> AppResult<MyClaimsPage> {
    let me = insured_of(&caller)?;
    let describe = describer(state);
    state
        .db(move |conn| {
            let rows = store::family_claims(conn, &me, at.before.as_ref(), at.limit, at.offset)?;
            let total = store::family_count(conn, &me)?;
            let ids: Vec<ClaimId> = rows.iter().map(|c| c.id.clone()).collect();
            let flags = store::of_claims(conn, &ids)?;
            let mut names = Names { me, providers: HashMap::new(), persons: HashMap::new() };
            let items = rows
                .into_iter()
                .map(|c| my_claim(&describe, conn, &mut names, c, &flags))
                .collect::<AppResult<Vec<_>>>()?;
            Ok(MyClaimsPage { items, total })
        })
        .await
}

/// One claim of the caller's family; any other is 404.
pub async fn my_claim_by_id(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<MyClaim> {
    let me = insured_of(&caller)?;
    let describe = describer(state);
    state
        .db(move |conn| {
            let c =
                store::find_in_family(conn, &me, &id)?.ok_or_else(|| AppError::not_found("no such claim"))?;
            let flags = store::of_claims(conn, std::slice::from_ref(&c.id))?;
            let mut names = Names { me, providers: HashMap::new(), persons: HashMap::new() };
            my_claim(&describe, conn, &mut names, c, &flags)
        })
        .await
}

/// "I did not receive this service": a line (`line_no`) or the whole document (`None`).
#[derive(Clone, Debug)]
pub struct FlagInput {
    pub line_no: Option<i32>,
    /// A short note in the insured's words (at most [`NOTE_MAX_CHARS`]; may be empty).
    pub note: String,
}

/// A flag and whether this request made it (`false`: it was already there, nothing changed).
pub struct Flagged {
    pub flag: FlagView,
    pub created: bool,
}

/// Flags a line or the whole document of a claim of the caller's family as not received.
///
/// Idempotent: "the same flag" is the same claim and the same line (or the whole document),
/// whoever of the family sends it and whatever the note says. A second one changes nothing —
/// no new row, audit event or notification — and answers the first (its note kept). A line
/// and the whole document are different flags.
pub async fn flag_not_received(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
    input: FlagInput,
) -> AppResult<Flagged> {
    let me = insured_of(&caller)?;
    // A browser's textarea sends line breaks as CRLF: one line break, not a control character.
    let note = input.note.trim().replace("\r\n", "\n");
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::field("note", "too_long", format!("at most {NOTE_MAX_CHARS} characters")));
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::field("note", "control_character", "must not contain control characters"));
    }
    if input.line_no.is_some_and(|n| n < 1) {
        return Err(AppError::field(
            "line_no",
            "invalid",
            "a line number starts at 1; omit it for the whole document",
        ));
    }
    let clock = state.clock;
    state
        .write_retrying(move |conn| {
            let c =
                store::find_in_family(conn, &me, &id)?.ok_or_else(|| AppError::not_found("no such claim"))?;
            let line_no = input.line_no.unwrap_or(WHOLE_DOCUMENT);
            let line = match input.line_no {
                None => None,
                Some(n) => {
                    Some(claims_store::lines(conn, &c.id)?.into_iter().find(|l| l.line_no == n).ok_or_else(
                        || AppError::field("line_no", "not_found", "the claim has no such line"),
                    )?)
                }
            };
            if let Some(existing) = store::find(conn, &c.id, line_no)? {
                return Ok(Flagged { flag: flag_view(&existing), created: false });
            }
            let now: NaiveDateTime = clock.now();
            let row = FlagRow {
                id: ServiceFlagId::new(),
                claim_id: c.id.clone(),
                line_no,
                provider_id: c.provider_id.clone(),
                office_id: c.office_id.clone(),
                insured_id: c.insured_id.clone().unwrap_or_else(|| me.clone()),
                flagged_by: me.clone(),
                user_id: caller.user_id.clone(),
                note: note.clone(),
                created_at: now,
                resolved_by: None,
                resolved_at: None,
            };
            store::insert(conn, &row)?;
            let after = json!({
                "flag_id": row.id,
                "line_no": input.line_no,
                "note": row.note,
                "reason": Reason::R93.code(),
                "status": c.status,
            });
            audit::append(
                conn,
                &Actor::of(&caller),
                "claim",
                &c.id,
                "flagged_not_received",
                None,
                Some(after),
            )?;
            notify_office(conn, &c, &row, line.as_ref().map(|l| l.code.as_str()))?;
            Ok(Flagged { flag: flag_view(&row), created: true })
        })
        .await
}

/// The office's notification: its own address when it has one, else each active supervisor.
fn notify_office(conn: &mut AnyConnection, c: &ClaimRow, f: &FlagRow, code: Option<&str>) -> AppResult<()> {
    let provider_name =
        crate::store::providers::find_provider(conn, &c.provider_id)?.map(|p| p.name_fa).unwrap_or_default();
    let payload = json!({
        "claim_id": c.id,
        "provider_document_no": c.provider_document_no,
        "provider_id": c.provider_id,
        "provider_name": provider_name,
        "office_id": c.office_id,
        "flag_id": f.id,
        "line_no": (f.line_no != WHOLE_DOCUMENT).then_some(f.line_no),
        "code": code,
        "note": f.note,
        "flagged_at": crate::clock::ts(f.created_at),
    });
    let office = crate::store::offices::find(conn, &c.office_id)?;
    if office.is_some_and(|o| o.email.is_some_and(|e| !e.trim().is_empty())) {
        crate::store::outbox::enqueue(conn, NOTIFICATION_KIND, "office", &c.office_id, &c.id, payload)?;
        return Ok(());
    }
    let supervisors = crate::store::users::list(
        conn,
        &crate::store::users::UserFilter {
            role: Some(Role::Supervisor.as_str().into()),
            office_id: Some(c.office_id.clone()),
            provider_id: None,
            after: None,
            limit: 1000,
        },
    )?;
    for u in supervisors.into_iter().filter(|u| u.active) {
        crate::store::outbox::enqueue(conn, NOTIFICATION_KIND, "user", &u.id, &c.id, payload.clone())?;
    }
    Ok(())
}

/// The reports on a claim of the caller's office (reviewers and supervisors; another office's
/// claim is 404), oldest first — for the claim page.
pub async fn office_flags(state: &ServiceContext, caller: Caller, id: ClaimId) -> AppResult<Vec<FlagView>> {
    caller.require_any(<crate::auth::Reviewers as crate::auth::RoleSet>::ROLES)?;
    let office = caller
        .office_id
        .clone()
        .ok_or_else(|| AppError::forbidden("the caller belongs to no review office"))?;
    state
        .db(move |conn| {
            let c = claims_store::find_in(conn, &crate::auth::Scope::Office(office), &id)?
                .ok_or_else(|| AppError::not_found("no such claim"))?;
            Ok(store::of_claims(conn, std::slice::from_ref(&c.id))?.iter().map(flag_view).collect())
        })
        .await
}

/// A reviewer of the claim's office has looked into the insured's reports on it: the open
/// flags are resolved (the claim leaves the queue unless it is pended for another reason) and
/// the note is audited. What the reviewer found is decided on the claim itself — a pended claim
/// by its decision (R93 on a line not received), a decided one by an objection or a
/// correction — not here. 409 when no flag is open.
pub async fn resolve_flags(
    state: &ServiceContext,
    caller: Caller,
    id: ClaimId,
    note: String,
) -> AppResult<Vec<FlagView>> {
    caller.require_any(<crate::auth::Reviewers as crate::auth::RoleSet>::ROLES)?;
    let office = caller
        .office_id
        .clone()
        .ok_or_else(|| AppError::forbidden("the caller belongs to no review office"))?;
    let note = note.trim().to_string();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::field("note", "too_long", format!("at most {NOTE_MAX_CHARS} characters")));
    }
    let clock = state.clock;
    state
        .write(move |conn| {
            let c = claims_store::find_in(conn, &crate::auth::Scope::Office(office), &id)?
                .ok_or_else(|| AppError::not_found("no such claim"))?;
            let open: Vec<FlagRow> = store::of_claims(conn, std::slice::from_ref(&c.id))?
                .into_iter()
                .filter(|f| f.resolved_at.is_none())
                .collect();
            if open.is_empty() {
                return Err(AppError::conflict("no_open_flag", "no report on this claim waits for review"));
            }
            store::resolve_open(conn, &c.id, &caller.user_id, clock.now())?;
            let after = json!({
                "flag_ids": open.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
                "line_nos": open.iter().map(|f| f.line_no).collect::<Vec<_>>(),
                "note": note,
            });
            audit::append(
                conn,
                &Actor::of(&caller),
                "claim",
                &c.id,
                "not_received_reviewed",
                None,
                Some(after),
            )?;
            Ok(store::of_claims(conn, std::slice::from_ref(&c.id))?.iter().map(flag_view).collect())
        })
        .await
}
