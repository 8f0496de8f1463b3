//! Satisfaction surveys as stored and answered. When a support conversation is resolved,
//! notify invites its user once (in the app, and by email with a link carrying an
//! unguessable token). A rating is recorded only by a POST, in the app
//! (`POST /v1/conversations/{id}/rating`) or from the emailed link
//! (`POST /v1/surveys/{token}`): reading the link (`GET`) records nothing, so mail
//! scanners that follow links cannot vote. The quarter's NPS question rides along.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::safety::unblocked;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::identity::Caller;
use domain::survey::{self, Answer, Invitation, NpsAnswer, Rating, RatingView};
use domain::{Conversation, ConversationType, Status};
use store::keys::{invitation_key, nps_key, rating_key};
use store::record_item;
use store::table::{Condition, TableError, Value, WriteOp, from_item};

/// What the emailed link's page shows (`GET /v1/surveys/{token}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub conversation_id: String,
    pub subject: String,
    /// The rating already given, if any (it may be changed within 7 days).
    #[schema(required = true)]
    pub rating: Option<RatingView>,
    /// Whether the quarter's NPS question is still to be answered.
    pub nps_due: bool,
    pub expires_at: DateTime<Utc>,
}

/// What answering recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RatingRecorded)]
pub struct Recorded {
    pub rating: RatingView,
    /// The NPS answer, if one was given and the quarter's was still due.
    pub nps: Option<NpsAnswer>,
}

/// `GET /v1/me/nps`: whether to ask.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NpsStatus {
    pub quarter: String,
    pub due: bool,
    pub answer: Option<NpsAnswer>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NpsRequest {
    #[schema(maximum = 10)]
    pub score: u8,
}

impl App {
    /// `POST /v1/conversations/{id}/rating`: the conversation's user rates it once it is
    /// resolved; the same call changes the rating within 7 days.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn rate_conversation(
        &self,
        caller: &Caller,
        id: &str,
        answer: Answer,
    ) -> ApiResult<Recorded> {
        caller.require_person()?;
        let answer = answer.validated()?;
        let own =
            |c: &Conversation| c.kind == ConversationType::Support && c.created_by == caller.id();
        self.record_answer(id, caller.id(), own, answer).await
    }

    /// `GET /v1/conversations/{id}/rating`.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn conversation_rating(&self, caller: &Caller, id: &str) -> ApiResult<RatingView> {
        caller.require_person()?;
        // Both reads at once: the rating is shown only if the conversation is theirs.
        let (_, rating) = tokio::try_join!(
            self.load_conversation(id, |c| c.created_by == caller.id()),
            self.stored_rating(caller.id(), id),
        )?;
        rating
            .as_ref()
            .map(RatingView::from)
            .ok_or_else(|| ApiError::not_found("rating"))
    }

    /// `GET /v1/surveys/{token}`: what the emailed survey is about. Records nothing.
    #[instrument(skip_all)]
    pub async fn survey(&self, token: &str) -> ApiResult<SurveyView> {
        let invitation = self.invitation(token).await?;
        let quarter = survey::quarter(self.clock.now());
        let (rating, nps) = tokio::try_join!(
            self.stored_rating(&invitation.user_id, &invitation.conversation_id),
            async {
                Ok(self
                    .table
                    .get(&nps_key(&invitation.user_id, &quarter), false)
                    .await?)
            },
        )?;
        Ok(SurveyView {
            conversation_id: invitation.conversation_id,
            subject: invitation.subject,
            rating: rating.as_ref().map(RatingView::from),
            nps_due: nps.is_none(),
            expires_at: DateTime::from_timestamp(invitation.expires_at, 0).unwrap_or_default(),
        })
    }

    /// `POST /v1/surveys/{token}`: the emailed survey answered. The token is the
    /// permission: it names one user and one conversation.
    #[instrument(skip_all)]
    pub async fn answer_survey(&self, token: &str, answer: Answer) -> ApiResult<Recorded> {
        let answer = answer.validated()?;
        let invitation = self.invitation(token).await?;
        self.record_answer(
            &invitation.conversation_id,
            &invitation.user_id,
            |_| true,
            answer,
        )
        .await
    }

    /// `GET /v1/me/nps`.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn nps_status(&self, caller: &Caller) -> ApiResult<NpsStatus> {
        caller.require_person()?;
        let quarter = survey::quarter(self.clock.now());
        let answer = match self
            .table
            .get(&nps_key(caller.id(), &quarter), false)
            .await?
        {
            Some(item) => Some(from_item::<NpsAnswer>(item)?),
            None => None,
        };
        Ok(NpsStatus {
            quarter,
            due: answer.is_none(),
            answer,
        })
    }

    /// `POST /v1/me/nps`: once a quarter (a second answer is a 409).
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn answer_nps(&self, caller: &Caller, request: NpsRequest) -> ApiResult<NpsAnswer> {
        caller.require_person()?;
        if caller.is_admin() {
            return Err(ApiError::forbidden("the NPS question is for users"));
        }
        if request.score > 10 {
            return Err(ApiError::invalid("score: a whole number from 0 to 10"));
        }
        let answer = nps_answer(caller.id(), request.score, self.clock.now());
        let unblocked = unblocked(caller.id());
        match self
            .table
            .write(vec![nps_write(&answer)?, unblocked.write])
            .await
        {
            Ok(()) => Ok(answer),
            Err(TableError::ConditionFailed { index: 1 }) => Err(unblocked.refusal),
            Err(TableError::ConditionFailed { .. }) => Err(ApiError::conflict(format!(
                "the NPS question for {} was already answered",
                answer.quarter
            ))),
            Err(other) => Err(other.into()),
        }
    }

    async fn invitation(&self, token: &str) -> ApiResult<Invitation> {
        let well_formed = token.len() == 52 && token.bytes().all(|b| b.is_ascii_alphanumeric());
        let item = if well_formed {
            self.table.get(&invitation_key(token), false).await?
        } else {
            None
        };
        let invitation: Invitation = match item {
            Some(item) => from_item(item)?,
            None => return Err(ApiError::not_found("survey")),
        };
        // TTL deletion lags; an expired link is gone whether or not the item is.
        if invitation.expires_at < self.clock.now().timestamp() {
            return Err(ApiError::not_found("survey"));
        }
        Ok(invitation)
    }

    async fn stored_rating(&self, user: &str, conversation: &str) -> ApiResult<Option<Rating>> {
        Ok(
            match self
                .table
                .get(&rating_key(user, conversation), true)
                .await?
            {
                Some(item) => Some(from_item(item)?),
                None => None,
            },
        )
    }

    /// Records a rating (new, or changed within its window) and, if given and still due
    /// this quarter, the NPS answer: one transaction; an NPS already answered is skipped.
    /// The conversation and any rating of it are read at once.
    async fn record_answer(
        &self,
        id: &str,
        user: &str,
        visible: impl Fn(&Conversation) -> bool,
        answer: Answer,
    ) -> ApiResult<Recorded> {
        let now = self.clock.now();
        let (conversation, existing) = tokio::try_join!(
            self.load_conversation(id, visible),
            self.stored_rating(user, id),
        )?;
        let (rating, condition) = match existing {
            Some(mut rating) => {
                let version = rating.version;
                rating.change(&answer, now)?;
                let condition = Condition::Equals("version".into(), Value::n(version as i64));
                (rating, condition)
            }
            None => {
                if conversation.status != Status::Resolved {
                    return Err(ApiError::conflict(
                        "a conversation can be rated once it is resolved",
                    ));
                }
                let rating = Rating {
                    conversation_id: conversation.id.clone(),
                    user_id: user.to_string(),
                    stars: answer.stars,
                    clarity: answer.clarity,
                    timeliness: answer.timeliness,
                    helpfulness: answer.helpfulness,
                    comment: answer.comment.clone(),
                    category: conversation.category,
                    team: conversation.team,
                    agent: conversation.assignee.clone(),
                    rated_at: now,
                    updated_at: now,
                    version: 1,
                };
                (rating, Condition::NotExists)
            }
        };
        let mut item = record_item(&rating_key(user, &conversation.id), &rating)?;
        let (ttl, expires) = store::expiry(now);
        item.insert(ttl, expires);
        let rating_write = WriteOp::Put {
            item,
            condition: Some(condition),
        };
        let nps = answer.nps.map(|score| nps_answer(user, score, now));
        // A blocked user's answers are not taken either (the check is the last write).
        let unblocked = unblocked(user);
        let mut writes = vec![rating_write.clone()];
        if let Some(nps) = &nps {
            writes.push(nps_write(nps)?);
        }
        writes.push(unblocked.write.clone());
        let last = writes.len() - 1;
        match self.table.write(writes).await {
            Ok(()) => Ok(Recorded {
                rating: RatingView::from(&rating),
                nps,
            }),
            Err(TableError::ConditionFailed { index }) if index == last => Err(unblocked.refusal),
            Err(TableError::ConditionFailed { index: 1 }) => {
                // The quarter's NPS was already answered: record the rating alone.
                self.table
                    .write(vec![rating_write, unblocked.write])
                    .await
                    .map_err(changed_meanwhile)?;
                Ok(Recorded {
                    rating: RatingView::from(&rating),
                    nps: None,
                })
            }
            Err(other) => Err(changed_meanwhile(other)),
        }
    }
}

fn changed_meanwhile(error: TableError) -> ApiError {
    match error {
        TableError::ConditionFailed { .. } => {
            ApiError::conflict("the rating was changed meanwhile; read it and try again")
        }
        other => other.into(),
    }
}

fn nps_answer(user: &str, score: u8, now: DateTime<Utc>) -> NpsAnswer {
    NpsAnswer {
        user_id: user.to_string(),
        quarter: survey::quarter(now),
        score,
        answered_at: now,
    }
}

fn nps_write(answer: &NpsAnswer) -> ApiResult<WriteOp> {
    let mut item = record_item(&nps_key(&answer.user_id, &answer.quarter), answer)?;
    let (ttl, expires) = store::expiry(answer.answered_at);
    item.insert(ttl, expires);
    Ok(WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    })
}
