//! The Sms port on Amazon SNS (direct publish to a phone number).

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::{SendError, Sms, TextMessage};

pub struct SnsSms {
    client: Client,
    /// Highest price in USD SNS may pay for one SMS: the per-message spend guard.
    max_price_usd: String,
    sender_id: String,
}

impl SnsSms {
    pub fn new(
        client: Client,
        max_price_usd: impl Into<String>,
        sender_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            max_price_usd: max_price_usd.into(),
            sender_id: sender_id.into(),
        }
    }
}

fn attribute(data_type: &str, value: &str) -> anyhow::Result<MessageAttributeValue> {
    Ok(MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()?)
}

#[async_trait]
impl Sms for SnsSms {
    async fn send(&self, message: &TextMessage) -> Result<(), SendError> {
        let result = self
            .client
            .publish()
            .phone_number(&message.to)
            .message(&message.body)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("String", "Transactional")?)
            .message_attributes(
                "AWS.SNS.SMS.MaxPrice",
                attribute("Number", &self.max_price_usd)?,
            )
            .message_attributes(
                "AWS.SNS.SMS.SenderID",
                attribute("String", &self.sender_id)?,
            )
            .send()
            .await;
        result.map(drop).map_err(|error| {
            super::classify(
                error,
                |e| e.is_invalid_parameter_exception() || e.is_invalid_parameter_value_exception(),
                "sns publish",
            )
        })
    }
}
