//! Reply templates admins write once and send often, with placeholders filled from the
//! conversation (`{{user.first_name}}`, `{{listing.title}}`, `{{agent.name}}`,
//! `{{conversation.id}}`, `{{today}}`) and fallbacks (`{{user.first_name | "there"}}`).
//!
//! The template language is MiniJinja's (Jinja2) with undefined values an error, so a
//! reply never goes out with a placeholder unfilled. The `| "fallback"` shorthand is
//! rewritten to Jinja's `| default("fallback")` before parsing.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value, filters};

use crate::{Rejection, Result};

/// The system's own templates (emails, the monthly report), compiled once: named
/// `.html`, they escape every value they write; an undefined value is an error; block
/// tags on lines of their own leave no blank lines behind. Admins' reply templates are
/// held to far less ([`render`]).
pub fn compiled(
    templates: &[(&'static str, &'static str)],
) -> std::result::Result<Environment<'static>, String> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| e.to_string())?;
    environment.set_syntax(syntax);
    for (name, source) in templates {
        environment
            .add_template(name, source)
            .map_err(|e| format!("{name}: {e:#}"))?;
    }
    Ok(environment)
}

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

/// What one render may spend. Fuel counts the engine's instructions (loops over long
/// values run out of it); output stops once it could no longer be a message body (at
/// most four bytes a character); there are no macros, so nothing recurses.
const FUEL: u64 = 20_000;
const OUTPUT_MAX_BYTES: usize = BODY_MAX_CHARS * 4;

/// Only what replies need: placeholders, `if`/`for`/`set`, and filters that never make
/// text longer than their input. No functions (`range`) and no text-building operators
/// (see [`refuse_computation`]), so no value outgrows what the conversation gave.
fn environment() -> Environment<'static> {
    let mut environment = Environment::empty();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain-text messages: nothing is HTML-escaped.
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment.set_fuel(Some(FUEL));
    environment.add_filter("default", filters::default);
    environment.add_filter("d", filters::default);
    environment.add_filter("upper", filters::upper);
    environment.add_filter("lower", filters::lower);
    environment.add_filter("title", filters::title);
    environment.add_filter("capitalize", filters::capitalize);
    environment.add_filter("trim", filters::trim);
    environment.add_test("defined", minijinja::tests::is_defined);
    environment.add_test("undefined", minijinja::tests::is_undefined);
    environment.add_test("none", minijinja::tests::is_none);
    environment
}

/// Refuses `*`, `+` and `~` inside tags: Jinja repeats and joins text with them, and a
/// single `'a' * 100000000` allocates 100 MB before any output limit can see it. A
/// template is text with placeholders; it has nothing to compute.
fn refuse_computation(field: &str, body: &str) -> Result<()> {
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inside = &after[1..];
        let (content, remainder) = split_tag(inside, close);
        let content = content.trim_matches(['+', '-']);
        if close != "#}" && has_operator(content) {
            return Err(Rejection::invalid(format!(
                "{field}: templates compute nothing: `*`, `+` and `~` are not allowed inside \
                 {{{{ }}}} or {{% %}} (write the text out instead)"
            )));
        }
        rest = match close {
            // The body of a raw block is text, whatever it looks like.
            "%}" if content.trim() == "raw" => {
                remainder.find("endraw").map_or("", |end| &remainder[end..])
            }
            _ => remainder,
        };
    }
    Ok(())
}

/// A tag's content up to its closing delimiter (outside string literals), and what
/// follows it. An unclosed tag runs to the end (the parser then refuses it).
fn split_tag<'a>(inside: &'a str, close: &str) -> (&'a str, &'a str) {
    outside_strings(inside)
        .find(|(at, _)| inside[*at..].starts_with(close))
        .map_or((inside, ""), |(at, _)| {
            (&inside[..at], &inside[at + close.len()..])
        })
}

fn has_operator(content: &str) -> bool {
    outside_strings(content).any(|(_, c)| matches!(c, '*' | '+' | '~'))
}

/// The characters of tag content that are not in a string literal (Jinja's quotes,
/// with backslash escapes), with their byte offsets.
fn outside_strings(content: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote = None;
    let mut escaped = false;
    content.char_indices().filter(move |&(_, c)| {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => return true,
        }
        false
    })
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
    let source = source(field, &body)?;
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
    let source = source("template", body)?;
    let environment = environment();
    let template = environment
        .template_from_str(&source)
        .map_err(|e| Rejection::invalid(format!("template: {}", describe(&e))))?;
    let mut output = Bounded(Vec::new());
    template
        .render_captured_to(context(values), &mut output)
        .map_err(|e| match e.kind() {
            ErrorKind::UndefinedError => Rejection::invalid(format!(
                "variables: {} (give it in variables, or add a fallback to the template)",
                describe(&e)
            )),
            ErrorKind::WriteFailure => Rejection::invalid(format!(
                "body: the template's text would be longer than {BODY_MAX_CHARS} characters"
            )),
            ErrorKind::OutOfFuel => {
                Rejection::invalid("template: too much work to fill in (loops over long values?)")
            }
            _ => Rejection::invalid(format!("template: {}", describe(&e))),
        })?;
    let text = String::from_utf8(output.0)
        .map_err(|_| Rejection::invalid("template: the text is not valid UTF-8"))?;
    crate::validate::body("body", &text)
}

/// A template's source as the engine parses it: nothing computed, fallbacks expanded.
fn source(field: &str, body: &str) -> Result<String> {
    refuse_computation(field, body)?;
    Ok(expand_fallbacks(body))
}

/// Output that refuses to grow past what a message body can be.
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > OUTPUT_MAX_BYTES {
            return Err(std::io::Error::other("longer than a message body"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

    #[test]
    fn a_template_computes_nothing_so_no_value_outgrows_its_input() {
        for body in [
            "{{ 'a' * 100000000 }}",
            "{{ user.name ~ user.name }}",
            "{% set x = 'a' + 'b' %}{{ x }}",
            "{%+ if 2 * 2 %}x{% endif %}",
            "{{ range(10) }}",
            "{{ user.name | join(',') }}",
            "{{ user.name | replace('a', 'aaaaaaaa') }}",
        ] {
            let error = render(body, &values(&[("user.name", "Thandi")]));
            assert!(error.is_err(), "{body} rendered");
        }
        let error = check("body", "{{ 'a' * 100000000 }}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("compute nothing"), "{error}");
        // Operators in strings, comments and raw blocks are text.
        let body = "{{ user.name | 'a*b+c~d' }} {# 2 * 2 #}{% raw %}{{ 1 + 1 }}{% endraw %} 3*4";
        check("body", body).unwrap();
        assert_eq!(
            render(body, &values(&[])).unwrap(),
            "a*b+c~d {{ 1 + 1 }} 3*4"
        );
        assert!(
            check(
                "body",
                "{% if user.name is defined %}{{ user.name | title }}{% endif %}"
            )
            .is_ok()
        );
    }

    #[test]
    fn rendering_stops_at_its_budget_of_work_and_of_output() {
        let name = "x".repeat(200);
        let loops = "{% for a in user.name %}{% for b in user.name %}{% for c in user.name %}\
                     {% endfor %}{% endfor %}{% endfor %}";
        let error = render(loops, &values(&[("user.name", &name)]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("too much work"), "{error}");

        let long = "{% for a in user.name %}{{ user.name }}{% endfor %}";
        let name = "y".repeat(300);
        let error = render(long, &values(&[("user.name", &name)]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("longer than 5000"), "{error}");
    }
}
