//! The DynamoDB adapter of the Table port (aws-sdk-dynamodb).

use std::collections::HashMap;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, ConsumedCapacity, Delete,
    DeleteRequest, GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes, Projection,
    ProjectionType, Put, PutRequest, ReturnConsumedCapacity, ScalarAttributeType,
    TransactWriteItem, Update, WriteRequest,
};

use super::schema::{PK, SK};
use super::{
    Change, Condition, Consumed, Filter, GET_MANY_KEYS, Index, Item, Key, Page, Query, SortKey,
    Table, TableError, TableMetrics, Value, WRITE_EACH_OPS, WriteOp, check_start, check_write_each,
};

pub struct DynamoTable {
    client: Client,
    table_name: String,
    metrics: TableMetrics,
}

impl DynamoTable {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            metrics: TableMetrics::default(),
        }
    }

    /// Creates the table with the keys and indexes template.yaml declares. For emulators
    /// and tests: deployed tables come from the SAM template.
    pub async fn create_table(client: &Client, table_name: &str) -> anyhow::Result<()> {
        let mut attributes = Vec::new();
        let key_schema = |pk: &str, sk: &str| -> anyhow::Result<Vec<KeySchemaElement>> {
            Ok(vec![
                KeySchemaElement::builder()
                    .attribute_name(pk)
                    .key_type(KeyType::Hash)
                    .build()?,
                KeySchemaElement::builder()
                    .attribute_name(sk)
                    .key_type(KeyType::Range)
                    .build()?,
            ])
        };
        let mut request = client
            .create_table()
            .table_name(table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(PK, SK)?));
        for index in [Index::Table].into_iter().chain(Index::GSIS) {
            let (pk, sk) = index.key_attributes();
            for attr in [pk, sk] {
                attributes.push(
                    AttributeDefinition::builder()
                        .attribute_name(attr)
                        .attribute_type(ScalarAttributeType::S)
                        .build()?,
                );
            }
            if let Some(name) = index.name() {
                request = request.global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(name)
                        .set_key_schema(Some(key_schema(pk, sk)?))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()?,
                );
            }
        }
        request
            .set_attribute_definitions(Some(attributes))
            .send()
            .await
            .context("creating table")?;
        Ok(())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table_name)
            .set_key(Some(key_attributes(key)))
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|error| self.failed(error))?;
        self.metrics
            .record(read_consumed(output.consumed_capacity()));
        output
            .item
            .map(from_attributes)
            .transpose()
            .map_err(Into::into)
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        check_start(query)?;
        let mut expr = Expression::default();
        let (pk_attr, sk_attr) = query.index.key_attributes();
        let mut key_condition = format!(
            "{} = {}",
            expr.name(pk_attr),
            expr.value(Value::s(&query.pk))
        );
        if let Some(sort) = &query.sort {
            let sk = expr.name(sk_attr);
            let clause = match sort {
                SortKey::Eq(v) => format!("{sk} = {}", expr.value(Value::s(v))),
                SortKey::BeginsWith(v) => format!("begins_with({sk}, {})", expr.value(Value::s(v))),
                SortKey::Between(a, b) => {
                    format!(
                        "{sk} BETWEEN {} AND {}",
                        expr.value(Value::s(a)),
                        expr.value(Value::s(b))
                    )
                }
                SortKey::Lt(v) => format!("{sk} < {}", expr.value(Value::s(v))),
                SortKey::Le(v) => format!("{sk} <= {}", expr.value(Value::s(v))),
                SortKey::Gt(v) => format!("{sk} > {}", expr.value(Value::s(v))),
                SortKey::Ge(v) => format!("{sk} >= {}", expr.value(Value::s(v))),
            };
            key_condition = format!("{key_condition} AND {clause}");
        }
        let filters: Vec<String> = query
            .filters
            .iter()
            .map(|filter| match filter {
                Filter::Equals(attr, value) => {
                    format!("{} = {}", expr.name(attr), expr.value(value.clone()))
                }
                Filter::Exists(attr) => format!("attribute_exists({})", expr.name(attr)),
                Filter::NotExists(attr) => format!("attribute_not_exists({})", expr.name(attr)),
            })
            .collect();
        let output = self
            .client
            .query()
            .table_name(&self.table_name)
            .set_index_name(query.index.name().map(str::to_string))
            .key_condition_expression(key_condition)
            .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
            .set_expression_attribute_names(Some(expr.names))
            .set_expression_attribute_values(Some(expr.values))
            .set_limit(query.limit.map(|l| l as i32))
            .set_exclusive_start_key(query.start.clone().map(to_attributes))
            .scan_index_forward(!query.descending)
            .consistent_read(query.consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|error| self.failed(error))?;
        self.metrics
            .record(read_consumed(output.consumed_capacity()));
        Ok(Page {
            items: output
                .items
                .unwrap_or_default()
                .into_iter()
                .map(from_attributes)
                .collect::<Result<_, _>>()?,
            last: output.last_evaluated_key.map(from_attributes).transpose()?,
        })
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        match <[WriteOp; 1]>::try_from(ops) {
            Ok([op]) => self.write_one(op).await,
            Err(ops) => self.write_transaction(ops).await,
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        self.batch_get_all(keys, false).await
    }

    async fn get_many_consistent(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        self.batch_get_all(keys, true).await
    }

    async fn write_each(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        check_write_each(&ops)?;
        for chunk in ops.chunks(WRITE_EACH_OPS) {
            let requests = chunk
                .iter()
                .map(|op| write_request(op.clone()))
                .collect::<anyhow::Result<Vec<_>>>()?;
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    fn metrics(&self) -> &TableMetrics {
        &self.metrics
    }
}

/// BatchGetItem and BatchWriteItem may leave part of a request unprocessed (throttled):
/// it is sent again, backing off, this many times at most.
const BATCH_ATTEMPTS: u32 = 6;

fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(25 << attempt.min(5))
}

fn write_request(op: WriteOp) -> anyhow::Result<WriteRequest> {
    Ok(match op {
        WriteOp::Put { item, .. } => WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(to_attributes(item)))
                    .build()?,
            )
            .build(),
        WriteOp::Delete { key, .. } => WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key_attributes(&key)))
                    .build()?,
            )
            .build(),
        _ => anyhow::bail!("only puts and deletes go in a batch"),
    })
}

impl DynamoTable {
    /// BatchGetItem calls of at most [`GET_MANY_KEYS`] keys each, all at once.
    async fn batch_get_all(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, TableError> {
        let calls = keys
            .chunks(GET_MANY_KEYS)
            .map(|chunk| self.batch_get(chunk, consistent));
        let mut found = Vec::new();
        for items in futures_util::future::join_all(calls).await {
            found.extend(items?);
        }
        Ok(found)
    }

    /// One BatchGetItem of at most [`GET_MANY_KEYS`] keys, until nothing is left unprocessed.
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, TableError> {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(key_attributes).collect()))
            .consistent_read(consistent)
            .build()
            .context("a batch of keys")?;
        let mut found = Vec::new();
        for attempt in 0..BATCH_ATTEMPTS {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table_name, pending)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|error| self.failed(error))?;
            let units: f64 = output
                .consumed_capacity()
                .iter()
                .filter_map(|c| c.capacity_units())
                .sum();
            self.metrics.record(Consumed {
                read_half_units: (units * 2.0).round() as u64,
                write_units: 0,
            });
            let mut responses = output.responses.unwrap_or_default();
            for item in responses.remove(&self.table_name).unwrap_or_default() {
                found.push(from_attributes(item)?);
            }
            match output
                .unprocessed_keys
                .and_then(|mut left| left.remove(&self.table_name))
            {
                Some(left) if !left.keys().is_empty() => {
                    pending = left;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                _ => return Ok(found),
            }
        }
        // What is left unprocessed is what DynamoDB throttled.
        Err(TableError::Unavailable(anyhow::anyhow!(
            "dynamodb left keys unprocessed after {BATCH_ATTEMPTS} attempts"
        )))
    }

    /// One BatchWriteItem of at most [`WRITE_EACH_OPS`] writes, until nothing is left.
    async fn batch_write(&self, mut pending: Vec<WriteRequest>) -> Result<(), TableError> {
        for attempt in 0..BATCH_ATTEMPTS {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table_name, pending)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|error| self.failed(error))?;
            self.metrics
                .record(write_consumed(output.consumed_capacity()));
            match output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table_name))
            {
                Some(left) if !left.is_empty() => {
                    pending = left;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                _ => return Ok(()),
            }
        }
        Err(TableError::Unavailable(anyhow::anyhow!(
            "dynamodb left writes unprocessed after {BATCH_ATTEMPTS} attempts"
        )))
    }

    async fn write_one(&self, op: WriteOp) -> Result<(), TableError> {
        // The three single-item writes differ only in their first setters: each takes the
        // condition and the expression's names and values, reports its capacity, and
        // fails the same way.
        macro_rules! send {
            ($request:expr, $expr:expr, $condition:expr) => {{
                let condition = $condition.map(|c| $expr.condition(&c));
                let result = $request
                    .table_name(&self.table_name)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names($expr.names_if_any())
                    .set_expression_attribute_values($expr.values_if_any())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await;
                match result {
                    Ok(output) => output.consumed_capacity,
                    Err(error) => {
                        return Err(
                            self.write_failed(error, |e| e.is_conditional_check_failed_exception())
                        );
                    }
                }
            }};
        }
        let mut expr = Expression::default();
        let consumed = match op {
            WriteOp::Put { item, condition } => send!(
                self.client.put_item().set_item(Some(to_attributes(item))),
                expr,
                condition
            ),
            WriteOp::Update {
                key,
                changes,
                condition,
            } => {
                let update = expr.update(&changes);
                send!(
                    self.client
                        .update_item()
                        .set_key(Some(key_attributes(&key)))
                        .update_expression(update),
                    expr,
                    condition
                )
            }
            WriteOp::Delete { key, condition } => send!(
                self.client
                    .delete_item()
                    .set_key(Some(key_attributes(&key))),
                expr,
                condition
            ),
            // DynamoDB has no single-item condition check: it is a transaction of one.
            check @ WriteOp::Check { .. } => return self.write_transaction(vec![check]).await,
        };
        self.metrics.record(write_consumed(consumed.as_slice()));
        Ok(())
    }

    async fn write_transaction(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        let items = ops
            .into_iter()
            .map(|op| self.transact_item(op))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(output) => {
                self.metrics
                    .record(write_consumed(output.consumed_capacity()));
                Ok(())
            }
            Err(error) => {
                self.metrics.record(Consumed::default());
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
                if let Some(E::TransactionCanceledException(cancelled)) = error.as_service_error() {
                    let reasons = cancelled.cancellation_reasons();
                    if let Some(index) = reasons
                        .iter()
                        .position(|r| r.code() == Some("ConditionalCheckFailed"))
                    {
                        return Err(TableError::ConditionFailed { index });
                    }
                    if reasons
                        .iter()
                        .any(|r| r.code() == Some("TransactionConflict"))
                    {
                        return Err(TableError::Conflict);
                    }
                    if reasons.iter().any(|r| r.code() == Some("ThrottlingError")) {
                        return Err(TableError::Unavailable(anyhow::anyhow!(
                            "dynamodb cancelled a transaction: throttled"
                        )));
                    }
                }
                Err(unexpected(error))
            }
        }
    }

    fn transact_item(&self, op: WriteOp) -> anyhow::Result<TransactWriteItem> {
        // As in `write_one`: the four kinds differ only in their first setters.
        macro_rules! part {
            ($builder:expr, $expr:expr, $condition:expr) => {
                $builder
                    .table_name(&self.table_name)
                    .set_condition_expression($condition)
                    .set_expression_attribute_names($expr.names_if_any())
                    .set_expression_attribute_values($expr.values_if_any())
                    .build()?
            };
        }
        let mut expr = Expression::default();
        let item = TransactWriteItem::builder();
        Ok(match op {
            WriteOp::Put {
                item: put,
                condition,
            } => {
                let condition = condition.map(|c| expr.condition(&c));
                let put = Put::builder().set_item(Some(to_attributes(put)));
                item.put(part!(put, expr, condition))
            }
            WriteOp::Update {
                key,
                changes,
                condition,
            } => {
                let update = expr.update(&changes);
                let condition = condition.map(|c| expr.condition(&c));
                let builder = Update::builder()
                    .set_key(Some(key_attributes(&key)))
                    .update_expression(update);
                item.update(part!(builder, expr, condition))
            }
            WriteOp::Delete { key, condition } => {
                let condition = condition.map(|c| expr.condition(&c));
                let delete = Delete::builder().set_key(Some(key_attributes(&key)));
                item.delete(part!(delete, expr, condition))
            }
            WriteOp::Check { key, condition } => {
                let condition = Some(expr.condition(&condition));
                let check = ConditionCheck::builder().set_key(Some(key_attributes(&key)));
                item.condition_check(part!(check, expr, condition))
            }
        }
        .build())
    }

    /// Counts the failed round trip and maps a read's error.
    fn failed<E>(&self, error: SdkError<E, HttpResponse>) -> TableError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.metrics.record(Consumed::default());
        unexpected(error)
    }

    /// Counts the failed round trip and maps a single write's error, telling a failed
    /// condition apart from everything else.
    fn write_failed<E>(
        &self,
        error: SdkError<E, HttpResponse>,
        is_condition: impl Fn(&E) -> bool,
    ) -> TableError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.metrics.record(Consumed::default());
        if error.as_service_error().is_some_and(is_condition) {
            TableError::ConditionFailed { index: 0 }
        } else {
            unexpected(error)
        }
    }
}

/// DynamoDB's answers to more requests than the table (or the account) takes now.
const THROTTLING: [&str; 3] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// A failed request, after the SDK's retries: throttling, a timeout, a connection that
/// failed or a 5xx is the table being unavailable; anything else is unexpected.
fn unexpected<E>(error: SdkError<E, HttpResponse>) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let unavailable = match &error {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::ResponseError(response) => response.raw().status().is_server_error(),
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || error.code().is_some_and(|code| THROTTLING.contains(&code))
        }
        _ => false,
    };
    let error = anyhow::Error::new(error).context("dynamodb request failed");
    match unavailable {
        true => TableError::Unavailable(error),
        false => TableError::Unexpected(error),
    }
}

fn read_consumed(consumed: Option<&ConsumedCapacity>) -> Consumed {
    let units = consumed.and_then(|c| c.capacity_units()).unwrap_or(0.0);
    Consumed {
        read_half_units: (units * 2.0).round() as u64,
        write_units: 0,
    }
}

fn write_consumed(consumed: &[ConsumedCapacity]) -> Consumed {
    let units: f64 = consumed.iter().filter_map(|c| c.capacity_units()).sum();
    Consumed {
        read_half_units: 0,
        write_units: units.ceil() as u64,
    }
}

/// Builds expression strings with placeholder names and values, so attribute names never
/// collide with DynamoDB's reserved words.
#[derive(Default)]
struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    fn value(&mut self, value: Value) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), to_attribute(value));
        placeholder
    }

    fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::NotExists => format!("attribute_not_exists({})", self.name(PK)),
            Condition::Exists => format!("attribute_exists({})", self.name(PK)),
            Condition::Equals(attr, value) => {
                format!("{} = {}", self.name(attr), self.value(value.clone()))
            }
            Condition::AbsentOrDiffers(attr, value) => {
                let (pk, attr, value) = (self.name(PK), self.name(attr), self.value(value.clone()));
                format!("attribute_not_exists({pk}) OR {attr} <> {value}")
            }
            Condition::AbsentOrBelow(attr, limit) => {
                let (pk, attr, limit) =
                    (self.name(PK), self.name(attr), self.value(Value::n(*limit)));
                format!("attribute_not_exists({pk}) OR {attr} < {limit}")
            }
        }
    }

    fn update(&mut self, changes: &[Change]) -> String {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for change in changes {
            match change {
                Change::Set(a, v) => {
                    set.push(format!("{} = {}", self.name(a), self.value(v.clone())))
                }
                Change::Add(a, n) => {
                    add.push(format!("{} {}", self.name(a), self.value(Value::n(*n))))
                }
                Change::Remove(a) => remove.push(self.name(a)),
            }
        }
        [("SET", set), ("ADD", add), ("REMOVE", remove)]
            .into_iter()
            .filter(|(_, parts)| !parts.is_empty())
            .map(|(verb, parts)| format!("{verb} {}", parts.join(", ")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn names_if_any(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values_if_any(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

fn to_attributes(item: Item) -> HashMap<String, AttributeValue> {
    item.into_iter()
        .map(|(k, v)| (k, to_attribute(v)))
        .collect()
}

fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s),
        Value::N(n) => AttributeValue::N(n),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.into_iter().map(to_attribute).collect()),
        Value::M(m) => {
            AttributeValue::M(m.into_iter().map(|(k, v)| (k, to_attribute(v))).collect())
        }
    }
}

fn from_attributes(item: HashMap<String, AttributeValue>) -> anyhow::Result<Item> {
    item.into_iter()
        .map(|(k, v)| Ok((k, from_attribute(v)?)))
        .collect()
}

fn from_attribute(value: AttributeValue) -> anyhow::Result<Value> {
    Ok(match value {
        AttributeValue::S(s) => Value::S(s),
        AttributeValue::N(n) => Value::N(n),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::L(
            l.into_iter()
                .map(from_attribute)
                .collect::<anyhow::Result<_>>()?,
        ),
        AttributeValue::M(m) => Value::M(
            m.into_iter()
                .map(|(k, v)| Ok((k, from_attribute(v)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => anyhow::bail!("unsupported attribute type {other:?}"),
    })
}

impl DynamoTable {
    /// One cheap read at cold start, so the first request does not pay for the TLS handshake.
    pub async fn warm_up(&self) -> Result<(), TableError> {
        self.get(&Key::new("WARMUP", "WARMUP"), false)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};

    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

    use super::*;

    /// A DynamoDB stand-in on this machine that answers each request with the next of
    /// `answers` and hands back the bodies it was sent.
    fn stand_in(answers: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let served = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for answer in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                bodies.push(String::from_utf8(body).unwrap());
                write!(
                    &stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .unwrap();
            }
            bodies
        });
        (url, served)
    }

    fn table_at(url: &str) -> DynamoTable {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("af-south-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .endpoint_url(url)
            .build();
        DynamoTable::new(Client::from_conf(config), "t")
    }

    #[tokio::test]
    async fn writes_dynamodb_leaves_unprocessed_are_sent_again() {
        let (url, served) = stand_in(vec![
            r#"{"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": "B"}, "sk": {"S": "2"}}}}]}}"#,
            r#"{"UnprocessedItems": {}}"#,
        ]);
        let table = table_at(&url);
        let puts = ["1", "2", "3"]
            .into_iter()
            .map(|sk| WriteOp::Put {
                item: Item::from([(PK.into(), Value::s("B")), (SK.into(), Value::s(sk))]),
                condition: None,
            })
            .collect();
        table.write_each(puts).await.unwrap();
        assert_eq!(table.metrics().snapshot().round_trips, 2);
        let bodies = served.join().unwrap();
        assert_eq!(bodies[0].matches("PutRequest").count(), 3);
        assert_eq!(bodies[1].matches("PutRequest").count(), 1, "{}", bodies[1]);
        assert!(bodies[1].contains(r#"{"S":"2"}"#), "{}", bodies[1]);
    }

    #[tokio::test]
    async fn keys_dynamodb_leaves_unprocessed_are_asked_again_consistently() {
        let (url, served) = stand_in(vec![
            r#"{"Responses": {"t": [{"pk": {"S": "B"}, "sk": {"S": "1"}}]},
                "UnprocessedKeys": {"t": {"Keys": [{"pk": {"S": "B"}, "sk": {"S": "2"}}], "ConsistentRead": true}}}"#,
            r#"{"Responses": {"t": [{"pk": {"S": "B"}, "sk": {"S": "2"}}]}, "UnprocessedKeys": {}}"#,
        ]);
        let table = table_at(&url);
        let keys = [Key::new("B", "1"), Key::new("B", "2")];
        let found = table.get_many_consistent(&keys).await.unwrap();
        assert_eq!(found.len(), 2);
        let bodies = served.join().unwrap();
        assert!(
            bodies[0].contains(r#""ConsistentRead":true"#),
            "{}",
            bodies[0]
        );
        assert!(bodies[1].contains(r#"{"S":"2"}"#), "{}", bodies[1]);
        assert!(!bodies[1].contains(r#"{"S":"1"}"#), "{}", bodies[1]);
    }
}
