//! The hosted page's HTML as a browser without JavaScript reads it: the forms that post on their
//! own (to the ACS and back), the return link and its fields.

/// An HTML attribute value as the browser reads it (the escapes minijinja writes).
pub fn unescape(text: &str) -> String {
    [("&#x2f;", "/"), ("&quot;", "\""), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]
        .iter()
        .fold(text.to_owned(), |text, (escaped, plain)| text.replace(escaped, plain))
}

/// The form a page posts on its own (to the ACS, back from it) or by the holder's choice on the
/// ACS challenge: its absolute action and hidden fields. `None` on a result page.
pub fn onward_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let acs = ["id=\"onward\"", "id=\"return\"", "id=\"authenticate\""].iter().any(|mark| page.contains(mark))
        && page.contains("name=\"PaReq\"") | page.contains("name=\"PaRes\"");
    if !acs {
        return None;
    }
    let form = &page[page.find("<form method=\"post\" action=\"")?..];
    action_and_fields(form)
}

/// A form's absolute action and its hidden fields, `form` starting at its `<form` tag.
fn action_and_fields(form: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = form.find("action=\"")? + 8;
    let action = unescape(&form[start..start + form[start..].find('"')?]);
    let mut fields = Vec::new();
    for input in form.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &input[..input.find('"')?];
        let start = input.find("value=\"")? + 7;
        let value = &input[start..start + input[start..].find('"')?];
        fields.push((unescape(name), unescape(value)));
    }
    Some((action, fields))
}

/// The return link's URL and its query pairs.
pub fn return_link(page: &str) -> (String, Vec<(String, String)>) {
    let start = page.find("id=\"return\" href=\"").unwrap_or_else(|| panic!("a return link: {page}")) + 18;
    let end = start + page[start..].find('"').unwrap();
    let href = unescape(&page[start..end]);
    let (base, query) = href.split_once('?').unwrap_or((&href, ""));
    let pairs = form_urlencoded::parse(query.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    (base.to_owned(), pairs)
}

/// The result page's auto-submitting return form (`vads_return_mode=POST`, or a `kr-post-url-*`):
/// its action and hidden fields.
pub fn return_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let form = &page[page.find("<form method=\"post\" action=\"")?..];
    if !form[..form.find('>')?].contains("id=\"return-form\"") {
        return None;
    }
    action_and_fields(form)
}

/// A browser without JavaScript: posts every form that posts on its own until a page has none.
pub async fn follow(client: &reqwest::Client, mut status: u16, mut page: String, choice: &str) -> (u16, String) {
    for _ in 0..4 {
        let Some((action, mut fields)) = onward_form(&page) else {
            break;
        };
        if page.contains("id=\"authenticate\"") {
            fields.push(("choice".into(), choice.into()));
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        let response = client
            .post(action)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        status = response.status().as_u16();
        page = response.text().await.unwrap();
    }
    (status, page)
}
