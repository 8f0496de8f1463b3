//! Reply templates admins write once and send often, with placeholders filled from the
//! conversation (`{{user.first_name}}`, `{{listing.title}}`, `{{agent.name}}`,
//! `{{conversation.id}}`, `{{today}}`) and fallbacks (`{{user.first_name | "there"}}`).
//!
//! The template language is MiniJinja's (Jinja2) with undefined values an error, so a
//! reply never goes out with a placeholder unfilled. The `| "fallback"` shorthand is
//! rewritten to Jinja's `| default("fallback")` before parsing.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

use crate::{Rejection, Result};

/// Every placeholder the system can fill. Others are refused when a template is saved,
/// except `var.<name>`: a value the admin gives when replying.
pub const PLACEHOLDERS: [&str; 12] = [
    "user.first_name",
    "user.name",
    "listing.id",
    "listing.title",
    "listing.location",
    "conversation.id",
    "conversation.subject",
    "conversation.category",
    "agent.name",
    "agent.first_name",
    "today",
    "team",
];

/// Custom values given at reply time (`variables`) are named `var.<name>`.
pub const CUSTOM_PREFIX: &str = "var.";

pub const BODY_MAX_CHARS: usize = 5_000;

/// Whether `name` is a placeholder a template may use.
pub fn is_known(name: &str) -> bool {
    PLACEHOLDERS.contains(&name)
        || name.strip_prefix(CUSTOM_PREFIX).is_some_and(|custom| {
            !custom.is_empty()
                && custom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain-text messages: nothing is HTML-escaped.
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment
}

/// `{{ x | "fallback" }}` → `{{ x | default("fallback") }}`: the only shorthand on top of
/// Jinja, rewritten inside `{{ }}` only. A `|` followed by a string literal is never
/// valid Jinja, so this changes no valid template.
fn expand_fallbacks(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let expression = &rest[open..];
        let close = expression.find("}}").unwrap_or(expression.len());
        out.push_str(&with_default_filters(&expression[..close]));
        rest = &expression[close..];
    }
    out.push_str(rest);
    out
}

fn with_default_filters(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(bar) = rest.find('|') {
        out.push_str(&rest[..bar]);
        let after = &rest[bar + 1..];
        let literal = after.trim_start();
        let quoted = match literal.chars().next() {
            Some(quote @ ('"' | '\'')) => literal[1..].find(quote).map(|end| end + 2),
            _ => None,
        };
        match quoted {
            Some(end) => {
                out.push_str(&format!("| default({})", &literal[..end]));
                rest = &literal[end..];
            }
            None => {
                out.push('|');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks a template body: valid syntax, only known placeholders. Returns the
/// placeholders it uses. Errors name `field` and the offending placeholder.
pub fn check(field: &str, body: &str) -> Result<BTreeSet<String>> {
    let body = crate::validate::bounded_text(field, body, BODY_MAX_CHARS)?;
    let source = expand_fallbacks(&body);
    let environment = environment();
    let template = environment
        .template_from_str(&source)
        .map_err(|e| Rejection::invalid(format!("{field}: {}", describe(&e))))?;
    let used: BTreeSet<String> = template.undeclared_variables(true).into_iter().collect();
    if let Some(unknown) = used.iter().find(|name| !is_known(name)) {
        return Err(Rejection::invalid(format!(
            "{field}: unknown placeholder {{{{{unknown}}}}}; known: {}, or var.<name> given when replying",
            PLACEHOLDERS.join(", ")
        )));
    }
    Ok(used)
}

/// Renders a checked template with `values` (placeholder name → text). A placeholder
/// with no value and no fallback is a 400 that names it.
pub fn render(body: &str, values: &BTreeMap<String, String>) -> Result<String> {
    let source = expand_fallbacks(body);
    let environment = environment();
    let template = environment
        .template_from_str(&source)
        .map_err(|e| Rejection::invalid(format!("template: {}", describe(&e))))?;
    let text = template
        .render(context(values))
        .map_err(|e| match e.kind() {
            ErrorKind::UndefinedError => Rejection::invalid(format!(
                "variables: {} (give it in variables, or add a fallback to the template)",
                describe(&e)
            )),
            _ => Rejection::invalid(format!("template: {}", describe(&e))),
        })?;
    crate::validate::body("body", &text)
}

/// `user.first_name` → `{"user": {"first_name": ...}}`. Every namespace is present (so
/// a missing field is undefined, which a fallback can replace, rather than an error).
fn context(values: &BTreeMap<String, String>) -> Value {
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> =
        ["user", "listing", "conversation", "agent", "var"]
            .into_iter()
            .map(|n| (n.to_string(), BTreeMap::new()))
            .collect();
    let mut top: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in values {
        match name.split_once('.') {
            Some((namespace, field)) => {
                namespaces
                    .entry(namespace.to_string())
                    .or_default()
                    .insert(field.to_string(), value.clone());
            }
            None => {
                top.insert(name.clone(), Value::from(value.clone()));
            }
        }
    }
    for (namespace, fields) in namespaces {
        top.insert(namespace, Value::from(fields));
    }
    Value::from(top)
}

fn describe(error: &minijinja::Error) -> String {
    let detail = error.detail().unwrap_or("invalid template");
    match error.line() {
        Some(line) if line > 1 => format!("{detail} (line {line})"),
        _ => detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn placeholders_are_filled_and_fallbacks_used_when_a_value_is_missing() {
        let body = "Hi {{user.first_name | \"there\"}}, about {{ listing.title }}: renewed on {{today}}. {{agent.name}}";
        assert_eq!(
            check("body", body).unwrap(),
            ["agent.name", "listing.title", "today", "user.first_name"]
                .map(String::from)
                .into()
        );
        let text = render(
            body,
            &values(&[
                ("listing.title", "Toyota Corolla"),
                ("today", "24 November 2026"),
                ("agent.name", "Sam"),
            ]),
        )
        .unwrap();
        assert_eq!(
            text,
            "Hi there, about Toyota Corolla: renewed on 24 November 2026. Sam"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_refused_by_name() {
        let error = check("body", "Dear {{user.surname}}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("user.surname"), "{error}");
        assert!(check("body", "Your code: {{var.reference}}").is_ok());
        assert!(check("body", "{{var.}}").is_err());
        let error = check("body", "Hi {{ user. }}").unwrap_err().to_string();
        assert!(error.starts_with("body: "), "{error}");
    }

    #[test]
    fn a_placeholder_without_value_or_fallback_is_an_error_not_braces_in_a_message() {
        let error = render("Hi {{user.first_name}}", &values(&[]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("user.first_name"), "{error}");
        let error = render("Ref {{var.reference}}", &values(&[]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("var.reference"), "{error}");
    }

    #[test]
    fn text_is_not_escaped_and_pipes_elsewhere_are_kept() {
        let body = "Choose | \"Renew\" | terms: {{ conversation.subject | upper }} & {{ var.note | 'none' }}";
        check("body", body).unwrap();
        let text = render(body, &values(&[("conversation.subject", "a<b>")])).unwrap();
        assert_eq!(text, "Choose | \"Renew\" | terms: A<B> & none");
    }
}
