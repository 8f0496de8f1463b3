//! Files in messages. `POST /v1/attachments` signs an upload straight to storage; a
//! user's message names uploads of its author, checked then (there, the right kind,
//! within the cap) and kept; whoever may read the message gets a short-lived signed
//! download: participants, the admins of a support conversation, and moderators (each
//! moderator download is audited, as their reads are).

use serde::Serialize;
use tracing::instrument;

use super::admin::admin_may_see;
use super::user::Viewer;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::attachment::{
    self, Attachment, Kind, MAX_PER_MESSAGE, UploadRequest, check_upload, check_uploaded,
    object_key,
};
use domain::identity::{Access, Caller};
use domain::{Conversation, Message, validate};
use objects::{Download, Objects, SignedRequest, Upload};
use store::message_key;
use store::table::from_item;

/// An attachment with the signed request that moves its bytes (up or down).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentTransfer {
    #[serde(flatten)]
    pub attachment: Attachment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<SignedRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<SignedRequest>,
}

/// Which attachment of which message.
pub struct AttachmentRef<'a> {
    pub conversation_id: &'a str,
    pub message_id: &'a str,
    pub attachment_id: &'a str,
}

/// From a route's `{id}/messages/{message_id}/attachments/{attachment_id}`.
impl<'a> From<&'a (String, String, String)> for AttachmentRef<'a> {
    fn from((conversation_id, message_id, attachment_id): &'a (String, String, String)) -> Self {
        Self {
            conversation_id,
            message_id,
            attachment_id,
        }
    }
}

impl App {
    pub(crate) fn objects(&self) -> ApiResult<&dyn Objects> {
        self.objects.as_deref().ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!(
                "attachments are not configured (ATTACHMENTS_BUCKET)"
            ))
        })
    }

    /// Signs an upload of one file; nothing is stored until the client uploads it.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn create_upload(
        &self,
        caller: &Caller,
        request: UploadRequest,
    ) -> ApiResult<AttachmentTransfer> {
        caller.require_person()?;
        let (kind, filename) = check_upload(&request, self.attachment_max_bytes)?;
        self.refuse_blocked(caller).await?;
        let now = self.clock.now();
        let id = self.ids.next(now);
        let key = object_key(caller.id(), &id);
        let upload = Upload {
            key: &key,
            content_type: kind.content_type(),
            size: request.size,
            filename: &filename,
        };
        let upload = self.objects()?.sign_upload(&upload, now).await?;
        Ok(AttachmentTransfer {
            attachment: Attachment {
                id,
                filename,
                content_type: kind.content_type().to_string(),
                size: request.size,
            },
            upload: Some(upload),
            download: None,
        })
    }

    /// The files a user's message names: uploads of theirs, each what it claims to be,
    /// kept from now on. Checked before the message is written (or held), so a message
    /// never points at a file that is missing or not what it says.
    pub(crate) async fn attachments(
        &self,
        author: &Caller,
        ids: &[String],
    ) -> ApiResult<Vec<Attachment>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_PER_MESSAGE {
            return Err(ApiError::invalid(format!(
                "attachments: at most {MAX_PER_MESSAGE} files in one message (got {})",
                ids.len()
            )));
        }
        for (i, id) in ids.iter().enumerate() {
            validate::id("attachments", id)?;
            if ids[..i].contains(id) {
                return Err(ApiError::invalid(format!(
                    "attachments: {id} is named twice"
                )));
            }
        }
        let objects = self.objects()?;
        let checked = ids.iter().map(|id| async move {
            let key = object_key(author.id(), id);
            let stored = objects.inspect(&key).await?.ok_or_else(|| {
                ApiError::invalid(format!(
                    "attachments: {id} is not a file you uploaded (uploads not sent within a day are removed)"
                ))
            })?;
            let kind = check_uploaded(
                &stored.content_type,
                stored.size,
                &stored.head,
                self.attachment_max_bytes,
            )?;
            objects.keep(&key).await?;
            Ok::<_, ApiError>(Attachment {
                id: id.clone(),
                filename: stored.filename.unwrap_or_else(|| id.clone()),
                content_type: kind.content_type().to_string(),
                size: stored.size,
            })
        });
        futures_util::future::try_join_all(checked).await
    }

    /// A participant's download.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = at.conversation_id))]
    pub async fn download_attachment(
        &self,
        caller: &Caller,
        at: AttachmentRef<'_>,
    ) -> ApiResult<AttachmentTransfer> {
        caller.require_person()?;
        self.attachment_link(at, |c| c.is_participant(caller.id()), Viewer::Participant)
            .await
    }

    /// An admin's download, from a support conversation they may read.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = at.conversation_id))]
    pub async fn admin_download_attachment(
        &self,
        caller: &Caller,
        at: AttachmentRef<'_>,
    ) -> ApiResult<AttachmentTransfer> {
        caller.require_admin()?;
        self.attachment_link(at, |c| admin_may_see(caller, c), Viewer::Admin)
            .await
    }

    /// A moderator's download from any conversation, for a stated reason, audited.
    #[instrument(skip_all, fields(caller = caller.id(), conversation = at.conversation_id))]
    pub async fn moderate_attachment(
        &self,
        caller: &Caller,
        at: AttachmentRef<'_>,
        why: &str,
    ) -> ApiResult<AttachmentTransfer> {
        Access::Moderator.check(caller)?;
        let why = validate::bounded_text("reason", why, 500)?;
        let target = format!(
            "conversation:{}/message:{}/attachment:{}",
            at.conversation_id, at.message_id, at.attachment_id
        );
        let link = self
            .attachment_link(at, |_| true, Viewer::Moderator)
            .await?;
        let audit = self.audit(caller, "attachment.read", target, Some(why))?;
        self.table.write(vec![audit]).await?;
        Ok(link)
    }

    /// A signed download of an attachment of a message the viewer may read. The
    /// authorization read and the message read go out together.
    async fn attachment_link(
        &self,
        at: AttachmentRef<'_>,
        visible: impl Fn(&Conversation) -> bool,
        viewer: Viewer,
    ) -> ApiResult<AttachmentTransfer> {
        validate::id("id", at.conversation_id)?;
        validate::id("message_id", at.message_id)?;
        validate::id("attachment_id", at.attachment_id)?;
        let objects = self.objects()?;
        let message_key = message_key(at.conversation_id, at.message_id);
        let (conversation, message) = tokio::join!(
            self.load_conversation(at.conversation_id, visible),
            self.table.get(&message_key, true)
        );
        conversation?;
        let message: Message = match message? {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("message")),
        };
        if message.internal && viewer != Viewer::Admin {
            return Err(ApiError::not_found("message"));
        }
        let message = match viewer {
            Viewer::Participant => message.as_participants_see_it(),
            Viewer::Admin | Viewer::Moderator => message,
        };
        let sender = message.sender_id;
        let attachment = message
            .attachments
            .into_iter()
            .find(|a| a.id == at.attachment_id)
            .ok_or_else(|| ApiError::not_found("attachment"))?;
        let kind = Kind::from_content_type(&attachment.content_type).ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!(
                "a stored attachment of type {}",
                attachment.content_type
            ))
        })?;
        let key = object_key(&sender, &attachment.id);
        let disposition = attachment::content_disposition(kind, &attachment.filename);
        let download = Download {
            key: &key,
            content_type: kind.content_type(),
            disposition: &disposition,
        };
        let download = objects.sign_download(&download, self.clock.now()).await?;
        Ok(AttachmentTransfer {
            attachment,
            upload: None,
            download: Some(download),
        })
    }
}
