//! The e-mails (رایانامه) asnad sends, one askama template per outbox kind.
//!
//! Each kind's payload (the JSON its use case wrote into the outbox in the decision's own
//! transaction) is read into a typed struct; `templates/email/<kind>.txt` renders it twice,
//! Persian (`fa`) then English, the first line being the subject; `templates/email/message.html`
//! renders both as the HTML part, right to left then left to right, escaped by askama. A payload
//! the kind's struct cannot read is an error for that row (it is kept, with the reason), never a
//! message with holes in it.

use askama::Template;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::jalali::JalaliDate;
use crate::domain::money::group_thousands;

/// A message ready to send.
#[derive(Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a row cannot become a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Unrenderable {
    /// No template for this outbox kind.
    UnknownKind,
    /// The payload lacks a field the template needs, or has the wrong type.
    BadPayload(String),
    /// askama failed (a bug in a template).
    Template(String),
}

/// An amount in rials as the e-mails write it: `1,234,000`.
#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(transparent)]
pub struct Rials(pub i64);

impl std::fmt::Display for Rials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&group_thousands(self.0))
    }
}

/// A decision's outcome word (`approved`, `partially_approved`, …), shown in English as is and
/// in Persian by the claim's words, which reimbursements, objections and pre-authorizations
/// share.
#[derive(Deserialize, Clone, Debug)]
#[serde(transparent)]
pub struct Status(pub String);

impl Status {
    /// The Persian word; empty for a word the claim's lifecycle does not know.
    pub fn fa(&self) -> &'static str {
        crate::domain::lifecycle::claim::ClaimStatus::parse(&self.0).map(|c| c.name_fa()).unwrap_or("")
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An optional value of a payload (a refused request has no quantity or validity): the JSON
/// scalar as written, a whole number grouped, `—` when absent.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(from = "Value")]
pub struct Shown(pub String);

impl From<Value> for Shown {
    fn from(v: Value) -> Shown {
        Shown(match v {
            Value::Null => "—".into(),
            Value::String(s) => s,
            Value::Number(n) => n.as_i64().map(group_thousands).unwrap_or_else(|| n.to_string()),
            other => other.to_string(),
        })
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `claim_decided`, to the provider (services::review).
#[derive(Deserialize, Debug)]
pub struct ClaimDecided {
    pub claim_id: String,
    pub provider_document_no: String,
    pub decision: ClaimOutcome,
}

#[derive(Deserialize, Debug)]
pub struct ClaimOutcome {
    pub status: Status,
    pub insurer_payable: Rials,
    pub deducted: Rials,
}

/// `objection_decided`, to the provider (services::review).
#[derive(Deserialize, Debug)]
pub struct ObjectionDecided {
    pub claim_id: String,
    pub objection_id: String,
    pub insurer_payable: Rials,
}

/// `preauthorization_decided`, to the provider (services::preauth).
#[derive(Deserialize, Debug)]
pub struct PreauthorizationDecided {
    pub preauthorization_id: String,
    pub code: String,
    pub insured_national_code: String,
    pub decision: PreauthorizationOutcome,
}

#[derive(Deserialize, Debug)]
pub struct PreauthorizationOutcome {
    pub status: Status,
    #[serde(default)]
    pub approved_quantity: Shown,
    #[serde(default)]
    pub valid_from: Shown,
    #[serde(default)]
    pub valid_to: Shown,
}

/// `reimbursement_decided`, to the main insured person (services::reimbursements).
#[derive(Deserialize, Debug)]
pub struct ReimbursementDecided {
    pub reimbursement_id: String,
    pub status: Status,
    pub reimbursed: Rials,
    pub paid_total: Rials,
    pub franchise: Rials,
    pub above_tariff: Rials,
    pub not_covered: Rials,
}

/// `reimbursement_paid`, to the main insured person when finance records the payment order
/// paid (services::settlements::pay_order).
#[derive(Deserialize, Debug)]
pub struct ReimbursementPaid {
    pub reimbursement_id: String,
    pub reimbursed: Rials,
    pub sheba: String,
    pub bank_reference: String,
    pub paid_on: NaiveDate,
}

impl ReimbursementPaid {
    /// The account, its last four digits only: an e-mail is not a safe place for the whole
    /// number.
    pub fn sheba_masked(&self) -> String {
        let tail: String = self.sheba.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("IR…{tail}")
    }

    pub fn paid_on_jalali(&self) -> String {
        let j = JalaliDate::from_gregorian(self.paid_on);
        format!("{:04}/{:02}/{:02}", j.year(), j.month(), j.day())
    }
}

/// `service_not_received`, to the review office (services::portal): an insured person says a
/// service billed in their name was not received.
#[derive(Deserialize, Debug)]
pub struct ServiceNotReceived {
    pub claim_id: String,
    pub provider_document_no: String,
    pub provider_name: String,
    /// `None`: the whole document.
    pub line_no: Option<i64>,
    #[serde(default)]
    pub code: Shown,
    #[serde(default)]
    pub note: Shown,
    /// RFC 3339, UTC.
    pub flagged_at: chrono::DateTime<chrono::Utc>,
}

impl ServiceNotReceived {
    /// The Tehran day and time of the report, `1403/08/01 14:05`.
    pub fn flagged_at_jalali(&self) -> String {
        let t = crate::domain::jalali::tehran(self.flagged_at.naive_utc());
        let j = JalaliDate::from_gregorian(t.date());
        format!("{:04}/{:02}/{:02} {}", j.year(), j.month(), j.day(), t.format("%H:%M"))
    }
}

macro_rules! mail_template {
    ($name:ident, $payload:ty, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            m: &'a $payload,
            name: &'a str,
            fa: bool,
        }
    };
}

mail_template!(ClaimDecidedMail, ClaimDecided, "email/claim_decided.txt");
mail_template!(ObjectionDecidedMail, ObjectionDecided, "email/objection_decided.txt");
mail_template!(PreauthorizationDecidedMail, PreauthorizationDecided, "email/preauthorization_decided.txt");
mail_template!(ReimbursementDecidedMail, ReimbursementDecided, "email/reimbursement_decided.txt");
mail_template!(ReimbursementPaidMail, ReimbursementPaid, "email/reimbursement_paid.txt");
mail_template!(ServiceNotReceivedMail, ServiceNotReceived, "email/service_not_received.txt");

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlPart<'a> {
    subject: &'a str,
    /// Paragraphs, each a list of lines.
    fa: Vec<Vec<&'a str>>,
    en: Vec<Vec<&'a str>>,
}

/// A rendered text: its first line the subject, the rest the body.
fn subject_and_body(text: &str) -> (String, String) {
    let (subject, body) = text.trim().split_once('\n').unwrap_or((text.trim(), ""));
    (subject.trim().to_string(), body.trim().to_string())
}

fn paragraphs(body: &str) -> Vec<Vec<&str>> {
    body.split("\n\n").map(|p| p.trim().lines().collect()).filter(|p: &Vec<&str>| !p.is_empty()).collect()
}

/// Reads the payload as `P` and renders the kind's template in both languages.
fn both<P: DeserializeOwned>(
    payload: &Value,
    render: impl Fn(&P, bool) -> askama::Result<String>,
) -> Result<Rendered, Unrenderable> {
    let m: P = P::deserialize(payload).map_err(|e| Unrenderable::BadPayload(e.to_string()))?;
    let t = |fa| render(&m, fa).map_err(|e| Unrenderable::Template(e.to_string()));
    let (fa_subject, fa_body) = subject_and_body(&t(true)?);
    let (en_subject, en_body) = subject_and_body(&t(false)?);
    let html = HtmlPart { subject: &fa_subject, fa: paragraphs(&fa_body), en: paragraphs(&en_body) }
        .render()
        .map_err(|e| Unrenderable::Template(e.to_string()))?;
    let text = format!("{fa_body}\n\n----------------------------------------\n\n{en_body}\n");
    Ok(Rendered { subject: format!("{fa_subject} | {en_subject}"), text, html })
}

/// Renders an outbox row of `kind` for its recipient `name`.
pub fn render(kind: &str, payload: &Value, name: &str) -> Result<Rendered, Unrenderable> {
    match kind {
        "claim_decided" => both(payload, |m, fa| ClaimDecidedMail { m, name, fa }.render()),
        "objection_decided" => both(payload, |m, fa| ObjectionDecidedMail { m, name, fa }.render()),
        "preauthorization_decided" => {
            both(payload, |m, fa| PreauthorizationDecidedMail { m, name, fa }.render())
        }
        "reimbursement_decided" => both(payload, |m, fa| ReimbursementDecidedMail { m, name, fa }.render()),
        "reimbursement_paid" => both(payload, |m, fa| ReimbursementPaidMail { m, name, fa }.render()),
        "service_not_received" => both(payload, |m, fa| ServiceNotReceivedMail { m, name, fa }.render()),
        _ => Err(Unrenderable::UnknownKind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reimbursement_decision_in_persian_and_english_with_grouped_amounts() {
        let payload = json!({"reimbursement_id": "r1", "status": "partially_approved", "reimbursed": 1234000,
            "paid_total": 2000000, "franchise": 1, "above_tariff": 0, "not_covered": 765999});
        let r = render("reimbursement_decided", &payload, "علی رضایی").unwrap();
        assert_eq!(
            r.subject,
            "درخواست بازپرداخت هزینه شما رسیدگی شد | Your reimbursement request has been decided"
        );
        assert!(r.text.starts_with(
            "علی رضایی گرامی،\n\nدرخواست بازپرداخت هزینه شماره r1 رسیدگی شد.\n\nنتیجه: تأیید با کسر\n"
        ));
        assert!(r.text.contains("سهم سازمان (قابل بازپرداخت): 1,234,000 ریال"));
        assert!(r.text.contains("\n\n----------------------------------------\n\nDear علی رضایی,"));
        assert!(r.text.contains("Reimbursed by the Organization: 1,234,000 rials"));
        assert!(r
            .html
            .contains("<div dir=\"rtl\" lang=\"fa\" style=\"text-align: right\">\n<p>علی رضایی گرامی،</p>"));
        assert!(r.html.contains("<p>نتیجه: تأیید با کسر<br>مبلغ پرداختی شما: 2,000,000 ریال<br>"));
    }

    #[test]
    fn every_kind_renders_its_payload_and_a_name_is_escaped_in_html_only() {
        let name = "<b>Kaveh & Co</b>";
        let cases = [
            (
                "claim_decided",
                json!({"claim_id": "c1", "provider_document_no": "SP-1", "decision": {"status": "rejected", "insurer_payable": 0, "deducted": 1890000}}),
            ),
            ("objection_decided", json!({"claim_id": "c1", "objection_id": "o1", "insurer_payable": 950000})),
            (
                "preauthorization_decided",
                json!({"preauthorization_id": "p1", "code": "806035", "insured_national_code": "0012345679", "decision": {"status": "rejected", "approved_quantity": null, "valid_from": null, "valid_to": null, "reason": "R91"}}),
            ),
            (
                "reimbursement_paid",
                json!({"reimbursement_id": "r1", "reimbursed": 394800, "sheba": "IR820540102680020817909002", "bank_reference": "TRX-77", "paid_on": "2024-10-06"}),
            ),
        ];
        for (kind, payload) in cases {
            let r = render(kind, &payload, name).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            assert!(r.text.contains(name), "{kind}: the text part is plain text");
            assert!(!r.html.contains(name) && !r.html.contains("<b>"), "{kind}: {}", r.html);
            assert!(!r.text.contains("{{") && !r.text.contains("{%"), "{kind}");
        }
        let c = render("claim_decided", &cases_claim(), "x").unwrap();
        assert!(
            c.text.contains("نتیجه: عدم تأیید\nمبلغ قابل پرداخت سازمان: 0 ریال\nکسورات: 1,890,000 ریال"),
            "{}",
            c.text
        );
        let p = render("preauthorization_decided", &cases_preauth(), "x").unwrap();
        assert!(p.text.contains("تعداد تأییدشده: —\nاعتبار: از — تا —"), "{}", p.text);
        let paid = render("reimbursement_paid", &cases_paid(), "x").unwrap();
        assert!(paid.text.contains(
            "مبلغ 394,800 ریال بابت درخواست بازپرداخت هزینه شماره r1 به حساب شبای IR…9002 واریز شد."
        ));
        assert!(paid.text.contains("تاریخ پرداخت: 1403/07/15") && paid.text.contains("Paid on: 2024-10-06"));
        assert!(!paid.text.contains("IR820540102680020817909002"), "the whole account number is not mailed");
    }

    fn cases_claim() -> Value {
        json!({"claim_id": "c1", "provider_document_no": "SP-1", "decision": {"status": "rejected", "insurer_payable": 0, "deducted": 1890000}})
    }
    fn cases_preauth() -> Value {
        json!({"preauthorization_id": "p1", "code": "806035", "insured_national_code": "0012345679", "decision": {"status": "rejected", "approved_quantity": null, "valid_from": null, "valid_to": null}})
    }
    fn cases_paid() -> Value {
        json!({"reimbursement_id": "r1", "reimbursed": 394800, "sheba": "IR820540102680020817909002", "bank_reference": "TRX-77", "paid_on": "2024-10-06"})
    }

    #[test]
    fn the_office_hears_of_a_service_not_received_with_the_line_or_the_whole_document() {
        let line = json!({"claim_id": "c1", "provider_document_no": "SP-1403-4417", "provider_id": "p1",
            "provider_name": "بیمارستان سپیدار", "office_id": "o1", "flag_id": "f1", "line_no": 2,
            "code": "901915", "note": "این آزمایش را نداده‌ام", "flagged_at": "2024-10-22T10:35:00Z"});
        let r = render("service_not_received", &line, "دفتر رسیدگی تهران").unwrap();
        assert!(r.text.contains("بیمه‌شده اعلام کرده است ردیف 2 (کد 901915) سند شماره SP-1403-4417 از بیمارستان سپیدار را دریافت نکرده است."), "{}", r.text);
        assert!(r.text.contains("زمان گزارش: 1403/08/01 14:05"), "Tehran time: {}", r.text);
        let mut whole = line.clone();
        whole["line_no"] = Value::Null;
        whole["code"] = Value::Null;
        let r = render("service_not_received", &whole, "x").unwrap();
        assert!(r.text.contains("اعلام کرده است هیچ‌یک از خدمات سند شماره SP-1403-4417"), "{}", r.text);
        assert!(r.text.contains("none of the services of claim SP-1403-4417"), "{}", r.text);
    }

    #[test]
    fn an_unknown_kind_or_a_payload_missing_a_field_is_refused_not_sent_with_holes() {
        assert_eq!(render("unknown_kind", &json!({}), "x"), Err(Unrenderable::UnknownKind));
        match render("objection_decided", &json!({"claim_id": "c1"}), "x") {
            Err(Unrenderable::BadPayload(e)) => assert!(e.contains("objection_id"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
