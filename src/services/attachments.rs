//! Attaching scanned documents to claims (the electronic file, directive No. 2).

use crate::domain::record_ids::{AttachmentId, CaseAttachmentId, ClaimId, OfficeId, ProviderId};
use serde::Serialize;

use crate::auth::{Caller, Role};
use crate::context::ServiceContext;
use crate::db::AnyConnection;
use crate::documents;
use crate::domain::jalali::JalaliDate;
use crate::error::{AppError, AppResult};
use crate::services::claims::load_visible;
use crate::store::attachments::{self as store, AttachmentRow, CaseAttachmentRow};
use crate::store::offices;
use crate::store::review as review_store;

/// Kinds of documents in a file: one vocabulary with the reimbursement checklist.
pub use crate::domain::reimbursement::DOCUMENT_TYPES;

/// The scan stamp (مهر «اسکن شد») put on a document when it is received.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ScanStamp)]
pub struct Stamp {
    /// «اسکن شد»
    #[schema(pattern = "^اسکن شد$")]
    pub text: &'static str,
    /// The office's name.
    pub office: String,
    /// Who received it: their display name.
    pub user_name: String,
    /// Who received it: their username.
    pub user_code: String,
    /// Jalali `YYYY-MM-DD`.
    #[schema(pattern = r"^(1[34][0-9]{2}|19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
}

/// What a document belongs to: a claim (`claim_id`), or another case (`case_kind`, `case_id`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AttachmentOwner)]
#[serde(untagged)]
pub enum Owner {
    Claim {
        claim_id: ClaimId,
    },
    Case {
        #[schema(value_type = CaseKind)]
        case_kind: String,
        case_id: String,
    },
}

/// A document of a claim (`claim_id`) or of another case (`case_kind`, `case_id`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentView {
    pub id: AttachmentId,
    #[serde(flatten)]
    pub owner: Owner,
    /// The SHA-256 of the content, lower-case hex (the download's ETag).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    #[schema(value_type = crate::domain::reimbursement::DocumentType)]
    pub document_type: String,
    /// As recognised from the content.
    #[schema(pattern = "^(application/pdf|image/jpeg|image/png|image/tiff)$")]
    pub content_type: String,
    #[schema(minimum = 1)]
    pub size_bytes: i64,
    /// The client's file name, for the record only (control characters dropped, at most 255
    /// characters).
    pub original_name: Option<String>,
    pub stamp: Stamp,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(a: AttachmentRow) -> Self {
        Self {
            stamp: Stamp {
                text: "اسکن شد",
                office: a.stamp_office,
                user_name: a.stamp_user_name,
                user_code: a.stamp_user_code,
                date: JalaliDate::from_gregorian(a.stamp_date).to_string(),
            },
            id: a.id,
            owner: Owner::Claim { claim_id: a.claim_id },
            sha256: a.sha256,
            document_type: a.document_type,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            original_name: a.original_name,
            created_at: crate::clock::ts(a.created_at),
        }
    }
}

impl From<CaseAttachmentRow> for AttachmentView {
    fn from(a: CaseAttachmentRow) -> Self {
        let owner = Owner::Case { case_kind: a.case_kind, case_id: a.case_id };
        let mut view = AttachmentView::from(AttachmentRow {
            id: AttachmentId::from(a.id.into_string()),
            claim_id: ClaimId::from(""),
            sha256: a.sha256,
            document_type: a.document_type,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            original_name: a.original_name,
            stamp_office: a.stamp_office,
            stamp_user_name: a.stamp_user_name,
            stamp_user_code: a.stamp_user_code,
            stamp_date: a.stamp_date,
            created_at: a.created_at,
            // The view has no provider (nor claim): these fields are only to reuse the conversion.
            provider_id: ProviderId::from(""),
        });
        view.owner = owner;
        view
    }
}

/// An upload as received: its declared type, its name and its bytes.
pub struct Upload {
    pub document_type: String,
    pub original_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Checks what any upload must be, and returns the sniffed content type.
/// Insured persons add documents only to their own reimbursement requests (`insured_may`).
fn check_upload(caller: &Caller, up: &Upload, insured_may: bool) -> AppResult<&'static str> {
    if !DOCUMENT_TYPES.contains(&up.document_type.as_str()) {
        return Err(AppError::field(
            "document_type",
            "invalid_choice",
            format!("must be one of {}", DOCUMENT_TYPES.join(", ")),
        ));
    }
    if up.bytes.is_empty() {
        return Err(AppError::field("file", "required", "the file is empty"));
    }
    let content_type = documents::sniff(&up.bytes)
        .ok_or_else(|| AppError::UnsupportedMediaType("the file must be a PDF, JPEG, PNG or TIFF".into()))?;
    if caller.role == Role::TariffAdmin || (caller.role == Role::Insured && !insured_may) {
        return Err(AppError::forbidden("this role does not add documents to this file"));
    }
    Ok(content_type)
}

/// The stored bytes of a document, checked against their hash.
fn read_checked(data_dir: &std::path::Path, sha256: &str) -> AppResult<Vec<u8>> {
    let bytes = documents::read(data_dir, sha256)
        .map_err(|e| AppError::internal(format!("stored document missing: {e}")))?;
    if documents::sha256_hex(&bytes) != sha256 {
        return Err(AppError::internal(format!("stored document {sha256} does not match its hash")));
    }
    Ok(bytes)
}

/// Stores the file once by hash and records it on the claim with the scan stamp. The same file
/// on the same claim again returns the first record (`created = false`).
pub async fn attach(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
    up: Upload,
) -> AppResult<(bool, AttachmentView)> {
    let content_type = check_upload(&caller, &up, false)?;
    let Upload { document_type, original_name, bytes } = up;
    let data_dir = state.config.data_dir.clone();
    let now = state.now();
    let today = now.date();
    // The file goes to disk first (idempotent by hash), outside the write: a crash before the
    // row is written leaves only an unreferenced file, never a row without its file.
    let size = bytes.len() as i64;
    let reader = caller.clone();
    let (claim, office, sha) = state
        .db(move |conn| {
            let claim = load_visible(conn, &reader, &claim_id)?;
            let sha = documents::store(&data_dir, &bytes)
                .map_err(|e| AppError::internal(format!("cannot store the document: {e}")))?;
            let office = offices::find(conn, &claim.office_id)?.map(|o| o.name_fa).unwrap_or_default();
            Ok((claim, office, sha))
        })
        .await?;
    state
        .write(move |conn| {
            if let Some(existing) = store::find_by_hash(conn, &claim.id, &sha)? {
                return Ok((false, existing.into()));
            }
            let row = AttachmentRow {
                id: AttachmentId::new(),
                claim_id: claim.id.clone(),
                sha256: sha.clone(),
                document_type,
                content_type: content_type.into(),
                size_bytes: size,
                original_name,
                stamp_office: office,
                stamp_user_name: caller.display_name.clone(),
                stamp_user_code: caller.username.clone(),
                stamp_date: today,
                created_at: now,
                provider_id: claim.provider_id.clone(),
            };
            store::insert(conn, &row)?;
            Ok((true, row.into()))
        })
        .await
}

pub async fn list(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
) -> AppResult<Vec<AttachmentView>> {
    state
        .db(move |conn| {
            let claim = load_visible(conn, &caller, &claim_id)?;
            Ok(store::of_claim(conn, &claim.id)?.into_iter().map(Into::into).collect())
        })
        .await
}

/// The stored bytes and their type.
pub async fn download(
    state: &ServiceContext,
    caller: Caller,
    claim_id: ClaimId,
    id: AttachmentId,
) -> AppResult<(AttachmentRow, Vec<u8>)> {
    let data_dir = state.config.data_dir.clone();
    state
        .db(move |conn| {
            let claim = load_visible(conn, &caller, &claim_id)?;
            let row = store::find(conn, &claim.id, &id)?
                .ok_or_else(|| AppError::not_found("no such attachment"))?;
            let bytes = read_checked(&data_dir, &row.sha256)?;
            Ok((row, bytes))
        })
        .await
}

/// Cases other than claims that keep documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CaseKind {
    /// A pre-authorization request (تأیید قبلی).
    Preauthorization,
    /// A provider's objection to deductions (اعتراض).
    Objection,
    /// An insured person's reimbursement request (درخواست بازپرداخت).
    Reimbursement,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Preauthorization => "preauthorization",
            CaseKind::Objection => "objection",
            CaseKind::Reimbursement => "reimbursement",
        }
    }
}

/// The office of a case the caller may see (404 otherwise): visibility follows the request's,
/// or for an objection its claim's.
fn case_office(conn: &mut AnyConnection, caller: &Caller, kind: CaseKind, id: &str) -> AppResult<OfficeId> {
    match kind {
        CaseKind::Preauthorization => {
            Ok(crate::services::preauth::load_visible(conn, caller, &id.into())?.office_id)
        }
        CaseKind::Reimbursement => {
            Ok(crate::services::reimbursements::load_visible(conn, caller, &id.into())?.office_id)
        }
        CaseKind::Objection => {
            let o = review_store::find_objection(conn, &id.into())?
                .ok_or_else(|| AppError::not_found("no such objection"))?;
            let claim = load_visible(conn, caller, &o.claim_id)
                .map_err(|_| AppError::not_found("no such objection"))?;
            Ok(claim.office_id)
        }
    }
}

/// As [`attach`], for a case that is not a claim.
pub async fn attach_to_case(
    state: &ServiceContext,
    caller: Caller,
    kind: CaseKind,
    case_id: String,
    up: Upload,
) -> AppResult<(bool, AttachmentView)> {
    let content_type = check_upload(&caller, &up, kind == CaseKind::Reimbursement)?;
    let Upload { document_type, original_name, bytes } = up;
    let data_dir = state.config.data_dir.clone();
    let now = state.now();
    let today = now.date();
    let size = bytes.len() as i64;
    let (reader, case) = (caller.clone(), case_id.clone());
    let (office, sha) = state
        .db(move |conn| {
            let (caller, case_id) = (reader, case);
            let office_id = case_office(conn, &caller, kind, &case_id)?;
            if kind == CaseKind::Reimbursement {
                let r =
                    crate::services::reimbursements::load_visible(conn, &caller, &case_id.as_str().into())?;
                if !crate::services::reimbursements::may_edit(&caller, &r) {
                    return Err(AppError::forbidden(
                        "only the filer or a clerk of the office adds documents",
                    ));
                }
                if !r.status.accepts_documents() {
                    return Err(AppError::conflict(
                        "decided",
                        format!("the request is {}; its file is closed", r.status),
                    ));
                }
            }
            // To disk first, outside the write (see `attach`).
            let sha = documents::store(&data_dir, &bytes)
                .map_err(|e| AppError::internal(format!("cannot store the document: {e}")))?;
            let office = offices::find(conn, &office_id)?.map(|o| o.name_fa).unwrap_or_default();
            Ok((office, sha))
        })
        .await?;
    state
        .write(move |conn| {
            if let Some(existing) = store::case_by_hash(conn, kind.as_str(), &case_id, &sha)? {
                return Ok((false, existing.into()));
            }
            let row = CaseAttachmentRow {
                id: CaseAttachmentId::new(),
                case_kind: kind.as_str().into(),
                case_id: case_id.clone(),
                sha256: sha.clone(),
                document_type,
                content_type: content_type.into(),
                size_bytes: size,
                original_name,
                stamp_office: office,
                stamp_user_name: caller.display_name.clone(),
                stamp_user_code: caller.username.clone(),
                stamp_date: today,
                created_at: now,
            };
            store::insert_case(conn, &row)?;
            Ok((true, row.into()))
        })
        .await
}

pub async fn list_case(
    state: &ServiceContext,
    caller: Caller,
    kind: CaseKind,
    case_id: String,
) -> AppResult<Vec<AttachmentView>> {
    state
        .db(move |conn| {
            case_office(conn, &caller, kind, &case_id)?;
            Ok(store::of_case(conn, kind.as_str(), &case_id)?.into_iter().map(Into::into).collect())
        })
        .await
}

/// The stored bytes of a case's document and their type.
pub async fn download_case(
    state: &ServiceContext,
    caller: Caller,
    kind: CaseKind,
    case_id: String,
    id: CaseAttachmentId,
) -> AppResult<(String, String, Vec<u8>)> {
    let data_dir = state.config.data_dir.clone();
    state
        .db(move |conn| {
            case_office(conn, &caller, kind, &case_id)?;
            let row = store::find_case(conn, kind.as_str(), &case_id, &id)?
                .ok_or_else(|| AppError::not_found("no such attachment"))?;
            let bytes = read_checked(&data_dir, &row.sha256)?;
            Ok((row.content_type, row.sha256, bytes))
        })
        .await
}
