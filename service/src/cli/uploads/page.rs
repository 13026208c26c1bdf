//! `upload start --html FILE`: a self-contained page with a ticket's form, so a person can upload
//! from a browser. S3 takes one file per POST
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>), so the page sends
//! each chosen file as its own form submission with `fetch`; the uploads bucket's CORS rules
//! (`--upload-origins`) must allow the page's origin for it to read the answers.

use crate::keeper::Ticket;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A value as a JavaScript literal that is safe inside `<script>`: JSON with `<`, `>` and `&`
/// written as `\u003c` escapes, so no value can end the script (`</script>`) or switch the HTML
/// parser into its escaped script states (`<!--`, `<script`), whatever a prefix or content type
/// holds (<https://html.spec.whatwg.org/multipage/scripting.html#restrictions-for-contents-of-script-elements>).
fn script_literal<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The page for a `post` ticket.
pub fn render(ticket: &Ticket) -> String {
    let fields = ticket.fields.clone().unwrap_or_default();
    let fields_json = script_literal(&fields);
    let url = script_literal(ticket.url.as_deref().unwrap_or_default());
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Upload to {prefix}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }}
li.ok {{ color: #166534; }} li.failed {{ color: #991b1b; }}
</style>
</head>
<body>
<h1>Upload files</h1>
<p>Files go to <code>s3://{bucket}/{prefix}</code> until {expires} (ticket <code>{id}</code>).</p>
<form id="upload">
<input type="file" id="files" name="files" multiple required>
<button type="submit" id="send">Upload</button>
</form>
<p id="status" role="status"></p>
<ul id="results"></ul>
<script>
const url = {url};
const fields = {fields_json};
const prefix = {prefix_json};
document.getElementById("upload").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const files = Array.from(document.getElementById("files").files);
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  let ok = 0, failed = 0;
  status.textContent = "uploading " + files.length + " file(s)…";
  for (const file of files) {{
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {{
      form.append(name, name === "key" ? prefix + file.name : value);
    }}
    form.append("file", file);
    const item = document.createElement("li");
    item.dataset.key = prefix + file.name;
    try {{
      const response = await fetch(url, {{ method: "POST", body: form }});
      if (response.ok) {{
        ok += 1; item.className = "ok"; item.textContent = file.name + ": uploaded";
      }} else {{
        failed += 1; item.className = "failed";
        const text = await response.text();
        const code = (text.match(/<Code>([^<]*)<\/Code>/) || [])[1] || response.status;
        item.textContent = file.name + ": refused (" + code + ")";
      }}
    }} catch (e) {{
      failed += 1; item.className = "failed"; item.textContent = file.name + ": " + e;
    }}
    results.appendChild(item);
  }}
  status.textContent = ok + " uploaded, " + failed + " failed";
}});
</script>
</body>
</html>
"#,
        prefix = escape(&ticket.prefix),
        bucket = escape(&ticket.bucket),
        expires = escape(&ticket.expires_at),
        id = escape(&ticket.id),
        prefix_json = script_literal(&ticket.prefix),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::UploadMethod;

    /// A `post` ticket for `prefix` whose form has `field` set to `value`.
    fn ticket(prefix: &str, field: &str, value: &str) -> Ticket {
        let mut fields = serde_json::Map::new();
        fields.insert(field.into(), value.into());
        Ticket {
            id: "t".into(),
            method: UploadMethod::Post,
            bucket: "b".into(),
            prefix: prefix.into(),
            region: "us-east-1".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
            url: Some("http://127.0.0.1/b/".into()),
            fields: Some(fields),
            urls: None,
            credentials: None,
        }
    }

    #[test]
    fn values_cannot_break_out_of_the_page_or_the_script() {
        let page = render(&ticket("a<b>/", "policy", "</script><script>alert(1)"));
        assert!(!page.contains("</script><script>alert(1)"));
        assert!(page.contains("a&lt;b&gt;/"));
        assert_eq!(page.matches("</script>").count(), 1);
    }

    /// `<!--<script>` in a prefix would put the HTML parser in its "double escaped" script state,
    /// where the page's own `</script>` no longer ends the script.
    #[test]
    fn no_value_opens_an_escaped_script_state() {
        let page = render(&ticket("x<!--<script>/", "Content-Type", "<!--<script>"));
        let script = page
            .split("<script>")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .unwrap_or_default();
        assert!(!script.contains("<!--"), "{script}");
        assert!(!script.contains("<script"), "{script}");
        assert!(
            script.contains(r#""x\u003c!--\u003cscript\u003e/""#),
            "{script}"
        );
    }
}
