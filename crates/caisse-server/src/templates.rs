//! The server's HTML pages (the simulated ACS, the hosted fields, the hosted payment page): one
//! minijinja environment, parsed at first use. The templates are part of the binary and every
//! page is rendered by the tests, so a template that fails is a bug, not a runtime condition.

use minijinja::{Environment, Value};
use std::sync::OnceLock;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const SOURCES: [(&str, &str); 16] = templates![
    "acs/layout.html",
    "acs/challenge.html",
    "acs/return.html",
    "acs/error.html",
    "hosted_fields/layout.html",
    "hosted_fields/form.html",
    "hosted_fields/token.html",
    "hosted_fields/error.html",
    "hosted_page/layout.html",
    "hosted_page/card.html",
    "hosted_page/cpay_options.html",
    "hosted_page/result.html",
    "hosted_page/error.html",
    "hosted_page/redirect.html",
    "hosted_page/unsupported.html",
    "hosted_page/summary.html",
];

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut environment = Environment::new();
        for (name, source) in SOURCES {
            environment.add_template(name, source).expect("the templates parse");
        }
        environment
    })
}

/// The page `name` with `values` (HTML-escaped by the template's file extension).
pub fn render(name: &str, values: Value) -> String {
    environment().get_template(name).and_then(|template| template.render(values)).expect("the templates render")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        for (name, _) in super::SOURCES {
            assert!(super::environment().get_template(name).is_ok(), "{name}");
        }
    }
}
